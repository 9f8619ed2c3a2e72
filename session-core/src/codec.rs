//! The stored-session encoding Django's db, file and cache backends write:
//! `signing.dumps(data, salt="django.contrib.sessions.SessionStore", compress=True)`.
//!
//! Django reads what [`SessionCodec`] writes and the reverse. By default the compressed
//! payloads are not Django's bytes (see [`Compression::Fast`]); [`SessionCodec::byte_exact`]
//! writes exactly what Django would.

use chrono::{DateTime, Utc};

use crate::SessionData;
use crate::error::Result;
use crate::security_log::SecurityLog;
use crate::settings::Secrets;
use crate::signing::{self, Compression, SigningError, TimestampSigner};

/// Salt of stored session data (`"django.contrib.sessions." + "SessionStore"`).
pub const SESSION_SALT: &str = "django.contrib.sessions.SessionStore";

/// Encodes and decodes session data the way Django's `SessionBase.encode/decode` do, with
/// [`Compression::Fast`] unless told otherwise.
///
/// ```
/// use chrono::Utc;
/// use serde_json::json;
/// use session_core::{Secrets, SessionCodec};
///
/// let codec = SessionCodec::new(&Secrets::new("secret")?);
/// let data = json!({"visit": 1}).as_object().unwrap().clone();
/// let stored = codec.encode(&data, Utc::now())?;
/// assert_eq!(codec.decode(&stored), Some(data));
/// assert_eq!(codec.decode("tampered:value:here"), None);
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SessionCodec {
    signer: TimestampSigner,
    compression: Compression,
    log: SecurityLog,
}

impl SessionCodec {
    /// A codec with Django's stored-session salt.
    pub fn new(secrets: &Secrets) -> Self {
        Self::with_salt(SESSION_SALT, secrets)
    }

    /// A codec for a store class Django would give another salt
    /// (`"django.contrib.sessions." + ClassName`).
    pub fn with_salt(salt: &str, secrets: &Secrets) -> Self {
        SessionCodec {
            signer: TimestampSigner::new(salt, secrets),
            compression: Compression::default(),
            log: SecurityLog::default(),
        }
    }

    /// The same codec compressing as `compression` says. Decoding is not affected: every
    /// codec reads every payload.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The same codec writing Django's bytes exactly ([`Compression::DjangoExact`]): slower,
    /// for tests against Django's output and for the smallest values.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use session_core::{Secrets, SessionCodec};
    ///
    /// let codec = SessionCodec::new(&Secrets::new("django-insecure-spec-test-key-0123456789")?);
    /// let data = serde_json::json!({"data": "a".repeat(100)});
    /// let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    /// assert_eq!(
    ///     codec.byte_exact().encode(data.as_object().unwrap(), at)?,
    ///     ".eJyrVkpJLElUslJKpANQqgUA6jEpOQ:1r31eq:8a9EY2JAtsb5xcTYt_XxLP_as3wSwE42Dgi5pBvMPzU"
    /// );
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn byte_exact(self) -> Self {
        self.with_compression(Compression::DjangoExact)
    }

    /// How this codec compresses.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Where this codec's decode failures are logged, rate-limited; engines log their own
    /// corrupt-data findings there too.
    pub fn security_log(&self) -> &SecurityLog {
        &self.log
    }

    /// Signs `data` as of `now`, compressing when that is shorter.
    pub fn encode(&self, data: &SessionData, now: DateTime<Utc>) -> Result<String> {
        Ok(signing::dumps_object(
            data,
            &self.signer,
            self.compression,
            now,
        ))
    }

    /// Verifies and decodes; any failure is "no session" and is logged (rate-limited,
    /// see [`SecurityLog`]), never raised. There is no age limit: expiry is the store's
    /// business, as in Django.
    pub fn decode(&self, encoded: &str) -> Option<SessionData> {
        match self.try_decode(encoded) {
            Ok(data) => Some(data),
            Err(error) => {
                self.log.corrupt(&error);
                None
            }
        }
    }

    /// Like [`decode`](Self::decode) but says why, without logging.
    pub fn try_decode(&self, encoded: &str) -> Result<SessionData, SigningError> {
        self.try_decode_timestamped(encoded).map(|(data, _)| data)
    }

    /// Decodes and also returns when the value was signed (whole seconds): the time of the
    /// save that wrote it. `None` (and a log line) when tampered or corrupt.
    pub fn decode_timestamped(&self, encoded: &str) -> Option<(SessionData, DateTime<Utc>)> {
        self.try_decode_timestamped(encoded)
            .inspect_err(|error| self.log.corrupt(error))
            .ok()
    }

    fn try_decode_timestamped(
        &self,
        encoded: &str,
    ) -> Result<(SessionData, DateTime<Utc>), SigningError> {
        self.open(encoded, None, DateTime::<Utc>::MIN_UTC)
    }

    /// Verifies and decodes, refusing a value signed more than `max_age` seconds before
    /// `now` (Django's `age > max_age`); returns the data and when it was signed (whole
    /// seconds). Nothing is logged: the caller decides what a failure means.
    pub fn open(
        &self,
        encoded: &str,
        max_age: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(SessionData, DateTime<Utc>), SigningError> {
        let (payload, ts) = self
            .signer
            .unsign(encoded, max_age.map(|age| age as f64), now)?;
        let signed_at = DateTime::from_timestamp(ts, 0).ok_or(SigningError::BadTimestamp)?;
        let data = into_session_data(signing::decode_payload(payload)?)?;
        Ok((data, signed_at))
    }
}

/// Session data must be a JSON object; anything else is corrupt.
pub fn into_session_data(value: serde_json::Value) -> Result<SessionData, SigningError> {
    match value {
        serde_json::Value::Object(map) => Ok(map),
        other => Err(SigningError::BadJson(format!(
            "session data must be an object, not {}",
            json_kind(&other)
        ))),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
