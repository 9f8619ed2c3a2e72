//! [`CookieStore`]: the six primitives for a store that keeps nothing.

use chrono::{DateTime, TimeDelta, Utc};
use session_core::codec::log_corrupt;
use session_core::key::MIN_KEY_LENGTH;
use session_core::signing::{Compression, SigningError};
use session_core::{
    Error, InvalidKey, Result, SessionCodec, SessionData, SessionKey, SessionRecord, SessionStore,
    StoreContext, async_trait,
};

use crate::config::{CookieMode, CookieStoreBuilder};
use crate::encrypted::EncryptedCodec;
use crate::signed::COOKIE_SALT;

impl CookieStoreBuilder {
    /// The store.
    ///
    /// # Errors
    /// [`Error::Configuration`] if the settings' cookie name or path is unusable, or if the size
    /// limit leaves no room for a value.
    pub fn build(self) -> Result<CookieStore> {
        let settings = self.ctx.settings();
        settings.validate()?;
        if self.max_size <= settings.cookie_name.len() + 1 {
            return Err(Error::config(format!(
                "a cookie size limit of {} bytes leaves no room for a value",
                self.max_size
            )));
        }
        let secrets = settings.secrets();
        let codec = match self.mode {
            CookieMode::Signed => Codec::Signed(
                SessionCodec::with_salt(COOKIE_SALT, secrets).with_compression(self.compression),
            ),
            CookieMode::Encrypted => Codec::Encrypted(EncryptedCodec::new(secrets)),
        };
        Ok(CookieStore {
            ctx: self.ctx,
            codec,
            max_size: self.max_size,
        })
    }
}

/// Sessions kept in the cookie itself: the session key *is* the signed (or encrypted) data.
#[derive(Debug, Clone)]
pub struct CookieStore {
    ctx: StoreContext,
    codec: Codec,
    max_size: usize,
}

#[derive(Debug, Clone)]
enum Codec {
    Signed(SessionCodec),
    Encrypted(EncryptedCodec),
}

impl CookieStore {
    /// Django's signed cookies, with the context's secrets, cookie name and age.
    pub fn new(ctx: StoreContext) -> Result<Self> {
        Self::builder(ctx).build()
    }

    /// A builder to choose the mode and the size limit.
    pub fn builder(ctx: StoreContext) -> CookieStoreBuilder {
        CookieStoreBuilder::new(ctx)
    }

    /// Signed or encrypted.
    pub fn mode(&self) -> CookieMode {
        match self.codec {
            Codec::Signed(_) => CookieMode::Signed,
            Codec::Encrypted(_) => CookieMode::Encrypted,
        }
    }

    /// The cookie value for `data` as of now, refused when `name=value` would not fit.
    fn seal(&self, data: &SessionData) -> Result<SessionKey> {
        let now = self.ctx.now();
        let size = |value: &str| self.ctx.settings().cookie_name.len() + 1 + value.len();
        let value = match &self.codec {
            Codec::Signed(codec) => {
                let value = codec.encode(data, now)?;
                // What fits in a cookie Django writes fits in ours.
                if size(&value) > self.max_size && codec.compression() == Compression::Fast {
                    codec.clone().byte_exact().encode(data, now)?
                } else {
                    value
                }
            }
            Codec::Encrypted(codec) => codec.seal(data, now)?,
        };
        let size = size(&value);
        if size > self.max_size {
            return Err(Error::TooLarge {
                size,
                limit: self.max_size,
            });
        }
        Ok(SessionKey::parse_signed_value(&value)?)
    }

    fn open(
        &self,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<(SessionData, DateTime<Utc>), SigningError> {
        let max_age = self.ctx.settings().cookie_age;
        match &self.codec {
            Codec::Signed(codec) => codec.open(value, Some(max_age), now),
            Codec::Encrypted(codec) => codec.open(value, max_age, now),
        }
    }
}

#[async_trait]
impl SessionStore for CookieStore {
    /// Django's rule (at least 8 characters) on the signed-value alphabet, up to 8 KiB.
    fn parse_key(&self, raw: &str) -> Result<SessionKey, InvalidKey> {
        let key = SessionKey::parse_signed_value(raw)?;
        if raw.len() < MIN_KEY_LENGTH {
            return Err(InvalidKey::TooShort {
                len: raw.len(),
                min: MIN_KEY_LENGTH,
            });
        }
        Ok(key)
    }

    /// Nothing is stored: always false.
    async fn exists(&self, _key: &SessionKey) -> Result<bool> {
        Ok(false)
    }

    /// The new cookie value; the candidate key is not used.
    async fn create(&self, _key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.seal(record.data())
    }

    /// The new cookie value. Never [`Error::SessionDeleted`]: there is nothing to delete.
    async fn save(&self, _key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.seal(record.data())
    }

    /// Nothing to do: a cookie can only be dropped by the client (the middleware deletes it).
    async fn delete(&self, _key: &SessionKey) -> Result<()> {
        Ok(())
    }

    /// The data if the value is authentic, younger than the cookie age and, unlike Django,
    /// not past its custom `_session_expiry`.
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let now = self.ctx.now();
        let (data, signed_at) = match self.open(key.as_str(), now) {
            Ok(opened) => opened,
            Err(error @ SigningError::Expired { .. }) => {
                tracing::debug!(target: "session_core", %error, "session cookie expired");
                return Ok(None);
            }
            Err(error) => {
                log_corrupt(&error);
                return Ok(None);
            }
        };
        // Past the end of chrono's range (signed at its very end): never by age.
        let by_age = TimeDelta::try_seconds(self.ctx.settings().cookie_age)
            .and_then(|age| signed_at.checked_add_signed(age))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let expires_at = self.ctx.expiry_date(&data, signed_at).min(by_age);
        let record = SessionRecord::new(data, expires_at);
        if record.is_expired(now) {
            tracing::debug!(target: "session_core", "session cookie past its custom expiry");
            return Ok(None);
        }
        Ok(Some(record))
    }

    /// Nothing is stored: 0.
    async fn clear_expired(&self) -> Result<u64> {
        Ok(0)
    }
}
