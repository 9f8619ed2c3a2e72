//! The `sessions` subcommands.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use session_core::signing::{self, SigningError, TimestampSigner};
use session_core::{Error, Secrets, SessionKey, SessionManager, expiry};

/// Salt of Django's signed-cookie sessions, the default for `decode`.
pub const SIGNED_COOKIE_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// `sessions clear-expired`: Django's `clearsessions`. Returns how many were removed.
pub async fn clear_expired(sessions: &SessionManager) -> Result<u64, Error> {
    sessions.store().clear_expired().await
}

/// `sessions show KEY`: the session as `{"session_key", "data", "expire_date"}`, or
/// `None` when there is no such (or an expired) session.
pub async fn show(sessions: &SessionManager, key: &str) -> Result<Option<Value>, Error> {
    let key: SessionKey = sessions.store().parse_key(key)?;
    let Some(record) = sessions.store().load(&key).await? else {
        return Ok(None);
    };
    if record.is_expired(sessions.context().now()) {
        return Ok(None);
    }
    Ok(Some(json!({
        "session_key": key.as_str(),
        "data": record.data(),
        "expire_date": expiry::rfc3339(record.expires_at()),
    })))
}

/// `sessions decode VALUE`: verifies a Django signed value (with the fallbacks) no older
/// than `max_age` seconds at `now` and returns the decoded JSON.
pub fn decode(
    secrets: &Secrets,
    value: &str,
    salt: &str,
    max_age: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Value, SigningError> {
    let signer = TimestampSigner::new(salt, secrets);
    signing::loads(value, &signer, max_age.map(|s| s as f64), now)
}
