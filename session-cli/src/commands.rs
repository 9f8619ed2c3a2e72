//! The `sessions` subcommands.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use session_core::signing::{self, SigningError, TimestampSigner};
use session_core::{Error, Secrets, SessionKey, SessionManager, SessionStore, expiry};

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

/// `sessions delete KEY`: removes the session; true if there was one.
pub async fn delete(sessions: &SessionManager, key: &str) -> Result<bool, Error> {
    let key: SessionKey = sessions.store().parse_key(key)?;
    let existed = sessions.store().exists(&key).await?;
    sessions.store().delete(&key).await?;
    Ok(existed)
}

/// The store's listing, or a configuration error naming the engines that have one.
fn inventory(store: &dyn SessionStore) -> Result<&dyn session_core::SessionInventory, Error> {
    store.inventory().ok_or_else(|| {
        Error::config(
            "this engine cannot list or count its sessions: db, file, Redis (not Cluster) and the in-process cache can",
        )
    })
}

/// `sessions count`: the number of unexpired sessions in `store` (the engine itself).
pub async fn count(store: &dyn SessionStore) -> Result<u64, Error> {
    inventory(store)?.count().await
}

/// One line of `sessions list`.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The stored key (with hashed keys, its hash).
    pub key: SessionKey,
    /// When the session expires.
    pub expires_at: DateTime<Utc>,
    /// The size of its data as JSON, in bytes.
    pub size: usize,
}

impl Listed {
    /// `KEY EXPIRE_DATE SIZE`, tab-separated; the key cut to its first 8 characters and an
    /// ellipsis unless `show_keys` (a whole key is a session anyone can take over).
    pub fn line(&self, show_keys: bool) -> String {
        let key = if show_keys {
            self.key.as_str().to_owned()
        } else {
            format!("{}…", &self.key.as_str()[..8])
        };
        format!("{key}\t{}\t{}", expiry::rfc3339(self.expires_at), self.size)
    }
}

/// `sessions list [--limit N]`: up to `limit` unexpired sessions of `store` (the engine
/// itself), in the engine's listing order.
pub async fn list(store: &dyn SessionStore, limit: usize) -> Result<Vec<Listed>, Error> {
    let inventory = inventory(store)?;
    let mut listed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut cursor = None;
    while listed.len() < limit {
        let batch = inventory
            .list_keys(
                cursor.as_ref(),
                (limit - listed.len()).min(crate::copy::BATCH),
            )
            .await?;
        for key in batch.keys {
            if listed.len() == limit || !seen.insert(key.clone()) {
                continue;
            }
            if let Some(record) = store.load(&key).await? {
                listed.push(Listed {
                    size: serde_json::to_string(record.data())?.len(),
                    expires_at: record.expires_at(),
                    key,
                });
            }
        }
        match batch.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(listed)
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
