//! Django's `signed_cookies` format: `signing.dumps(data, salt=COOKIE_SALT, compress=True)`.

use chrono::{DateTime, Utc};
use session_core::codec::into_session_data;
use session_core::signing::{self, SigningError, TimestampSigner};
use session_core::{Result, Secrets, SessionData};

/// The salt Django's `signed_cookies` backend signs the cookie with (not the stored-session
/// salt of the other engines).
pub const COOKIE_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// Signs and verifies cookie values exactly as Django does.
#[derive(Debug, Clone)]
pub(crate) struct SignedCodec {
    signer: TimestampSigner,
}

impl SignedCodec {
    pub(crate) fn new(secrets: &Secrets) -> Self {
        SignedCodec {
            signer: TimestampSigner::new(COOKIE_SALT, secrets),
        }
    }

    /// `[.]<base64>:<base62 seconds>:<signature>`, signed with the current secret as of `now`.
    pub(crate) fn seal(&self, data: &SessionData, now: DateTime<Utc>) -> Result<String> {
        Ok(signing::dumps(data, &self.signer, true, now)?)
    }

    /// The data and its signing time, if the signature matches the current secret or a
    /// fallback and the value is at most `max_age` seconds old (Django's `age > max_age`).
    pub(crate) fn open(
        &self,
        value: &str,
        max_age: i64,
        now: DateTime<Utc>,
    ) -> Result<(SessionData, DateTime<Utc>), SigningError> {
        let (payload, ts) = self.signer.unsign(value, Some(max_age as f64), now)?;
        let signed_at = DateTime::from_timestamp(ts, 0).ok_or(SigningError::BadTimestamp)?;
        let data = into_session_data(signing::decode_payload(payload)?)?;
        Ok((data, signed_at))
    }
}
