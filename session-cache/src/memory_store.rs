//! [`MemoryStore`]: in-process sessions, kept decoded.

use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use session_core::{
    Cursor, Error, KeyBatch, Result, SecretKey, SessionInventory, SessionKey, SessionRecord,
    SessionStore, StoreContext, UserIndex, async_trait,
};

use crate::cache::Swap;
use crate::memory::{DEFAULT_CAPACITY_BYTES, Entries, Weigh};

/// The shortest TTL an entry gets: an already-expired session is filtered out by `load`.
const MIN_TTL: Duration = Duration::from_secs(1);

/// Sessions in this process's memory: the in-process cache engine.
///
/// Entries are the sessions themselves (their data, shared, and expiry), not Django's
/// signed encoding: no other process can read this memory, so there is nobody to sign
/// for, and loads and saves skip the codec entirely. Capacity, TTLs and LRU eviction are
/// those of [`MemoryCache`](crate::MemoryCache). Clones share the sessions.
///
/// As with the signing engines, a session saved under one `SECRET_KEY` is no session under
/// another unless that key is among the fallbacks: each entry remembers which secret it was
/// written under.
///
/// ```
/// use session_cache::MemoryStore;
/// use session_core::{SessionManager, SessionSettings};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> session_core::Result<()> {
/// let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
///     Ok(MemoryStore::new(ctx))
/// })?;
/// let session = sessions.session(None);
/// session.insert("visits", 1).await?;
/// session.save().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MemoryStore {
    entries: Entries<Stored>,
    /// Stored keys per user id (the per-user index); entries of ended sessions are
    /// dropped at the user's next login or listing, and by `clear_expired`.
    users: Users,
    ctx: StoreContext,
    /// The current secret's tag, then the fallbacks'.
    secrets: Arc<[u64]>,
}

type Users =
    Arc<std::sync::Mutex<std::collections::HashMap<String, std::collections::HashSet<String>>>>;

#[derive(Debug, Clone)]
struct Stored {
    record: SessionRecord,
    secret: u64,
}

/// Tells secrets apart within this process (not a MAC: nothing leaves the process).
fn secret_tag(secret: &SecretKey) -> u64 {
    static HASHER: OnceLock<RandomState> = OnceLock::new();
    HASHER
        .get_or_init(RandomState::new)
        .hash_one(secret.expose())
}

impl Weigh for Stored {
    fn weight(&self) -> usize {
        self.record.weight()
    }
}

impl Weigh for SessionRecord {
    fn weight(&self) -> usize {
        self.data()
            .iter()
            .map(|(key, value)| key.len() + json_weight(value))
            .sum()
    }
}

/// About the bytes `value` takes as JSON, without writing it out.
fn json_weight(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_weight(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + json_weight(v))
                .sum::<usize>()
        }
    }
}

impl MemoryStore {
    /// A store of at most 64 MiB of sessions ([`DEFAULT_CAPACITY_BYTES`]).
    pub fn new(ctx: StoreContext) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY_BYTES, ctx)
    }

    /// A store of at most about `bytes` of session data (measured as JSON).
    pub fn with_capacity(bytes: u64, ctx: StoreContext) -> Self {
        Self::over(Entries::with_capacity(bytes), Users::default(), ctx)
    }

    /// The same sessions, under another context (other settings, secrets or clock).
    pub fn reopen(&self, ctx: StoreContext) -> Self {
        Self::over(self.entries.clone(), self.users.clone(), ctx)
    }

    fn over(entries: Entries<Stored>, users: Users, ctx: StoreContext) -> Self {
        let secrets = ctx.settings().secrets().all().map(secret_tag).collect();
        MemoryStore {
            entries,
            users,
            ctx,
            secrets,
        }
    }

    fn users(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<String, std::collections::HashSet<String>>,
    > {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `record` as an entry, and how long it lives.
    fn entry(&self, record: &SessionRecord) -> (Stored, Duration) {
        let ttl = record.ttl(self.ctx.now()).unwrap_or(MIN_TTL).max(MIN_TTL);
        let stored = Stored {
            record: record.clone(),
            secret: self.secrets[0],
        };
        (stored, ttl)
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    /// Like `load`: an entry written under a secret this store does not accept is no
    /// session. An expired entry not yet dropped counts, as in the other engines.
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        Ok(self
            .entries
            .get(key.as_str())
            .is_some_and(|stored| self.secrets.contains(&stored.secret)))
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let (stored, ttl) = self.entry(record);
        if self.entries.add(key.as_str(), stored, ttl) {
            Ok(key.clone())
        } else {
            Err(Error::KeyCollision)
        }
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let (stored, ttl) = self.entry(record);
        if self.entries.replace(key.as_str(), stored, ttl) {
            Ok(key.clone())
        } else {
            Err(Error::SessionDeleted)
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.entries.delete(key.as_str());
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let now = self.ctx.now();
        Ok(self
            .entries
            .get(key.as_str())
            .filter(|stored| self.secrets.contains(&stored.secret))
            .map(|stored| stored.record)
            .filter(|record| !record.is_expired(now)))
    }

    /// Drops the entries whose TTL has passed (the store also drops them as it goes: when
    /// read, and in a sweep every few thousand writes) and returns how many; then forgets
    /// in the per-user index every key whose session is gone (expired, deleted or evicted
    /// for room), so the index stays the size of the live sessions however many users come
    /// and go.
    async fn clear_expired(&self) -> Result<u64> {
        let removed = self.entries.remove_expired();
        // The index's lock, then each key's shard lock: nothing takes them the other way.
        self.users().retain(|_, keys| {
            keys.retain(|key| self.entries.contains(key));
            !keys.is_empty()
        });
        Ok(removed)
    }

    fn supports_conflict_detection(&self) -> bool {
        true
    }

    /// No version needed: an entry holds the very data `load` handed out, so "unchanged"
    /// is the same allocation (which `loaded` keeps alive, so it cannot be reused).
    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let (stored, ttl) = self.entry(record);
        let unchanged = |current: &Stored| {
            Arc::ptr_eq(current.record.shared_data(), loaded.shared_data())
                && self.secrets.contains(&current.secret)
        };
        match self
            .entries
            .compare_and_replace(key.as_str(), unchanged, stored, ttl)
        {
            Swap::Swapped => Ok(record.clone()),
            Swap::Changed => Err(Error::Conflict),
            Swap::Missing => Err(Error::SessionDeleted),
        }
    }

    fn inventory(&self) -> Option<&dyn SessionInventory> {
        Some(self)
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        Some(self)
    }
}

/// A set of keys per user, in this process.
#[async_trait]
impl UserIndex for MemoryStore {
    async fn index_add(&self, user: &str, key: &SessionKey, _: DateTime<Utc>) -> Result<()> {
        self.users()
            .entry(user.to_owned())
            .or_default()
            .insert(key.as_str().to_owned());
        Ok(())
    }

    async fn index_keys(&self, user: &str) -> Result<Vec<SessionKey>> {
        Ok(self
            .users()
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|k| SessionKey::parse(k).ok())
            .collect())
    }

    async fn index_remove(&self, user: &str, key: &SessionKey) -> Result<()> {
        let mut users = self.users();
        if let Some(keys) = users.get_mut(user) {
            keys.remove(key.as_str());
            if keys.is_empty() {
                users.remove(user);
            }
        }
        Ok(())
    }
}

/// Keys in key order, the cursor being the last key listed; `count` leaves out sessions
/// expired on the context's clock and those of a secret this store does not accept.
#[async_trait]
impl SessionInventory for MemoryStore {
    async fn list_keys(&self, from: Option<&Cursor>, limit: usize) -> Result<KeyBatch> {
        let limit = limit.max(1);
        let found = self
            .entries
            .entries_after("", from.map_or("", Cursor::as_str), limit);
        let next = (found.len() == limit).then(|| Cursor::new(found[limit - 1].0.clone()));
        let keys = found
            .iter()
            .filter(|(_, stored)| self.secrets.contains(&stored.secret))
            .filter_map(|(key, _)| SessionKey::parse(key).ok())
            .collect();
        Ok(KeyBatch::new(keys, next))
    }

    async fn count(&self) -> Result<u64> {
        let now = self.ctx.now();
        Ok(self
            .entries
            .values()
            .into_iter()
            .filter(|s| self.secrets.contains(&s.secret) && !s.record.is_expired(now))
            .count() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn exists_agrees_with_load_after_a_secret_rotation() {
        use session_core::{Secrets, SessionSettings};
        let context = |secrets: Secrets| StoreContext::new(SessionSettings::with_secrets(secrets));
        let store = MemoryStore::new(context(Secrets::new("old-secret").unwrap()));
        let key = SessionKey::generate();
        let record = SessionRecord::new(
            serde_json::Map::new(),
            chrono::Utc::now() + chrono::TimeDelta::hours(1),
        );
        store.create(&key, &record).await.unwrap();

        let rotated = store.reopen(context(Secrets::new("new-secret").unwrap()));
        assert!(!rotated.exists(&key).await.unwrap());
        assert!(rotated.load(&key).await.unwrap().is_none());

        let with_fallback = store.reopen(context(
            Secrets::new("new-secret")
                .unwrap()
                .with_fallbacks(["old-secret"])
                .unwrap(),
        ));
        assert!(with_fallback.exists(&key).await.unwrap());
        assert!(with_fallback.load(&key).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn clear_expired_forgets_indexed_sessions_that_are_gone() {
        use session_core::{SessionManager, SessionSettings};
        let store = MemoryStore::new(StoreContext::new(SessionSettings::new("s").unwrap()));
        let sessions = SessionManager::build(SessionSettings::new("s").unwrap(), |ctx| {
            Ok(store.reopen(ctx))
        })
        .unwrap();
        let (gone, kept) = (sessions.session(None), sessions.session(None));
        gone.login("ada").await.unwrap();
        kept.login("bob").await.unwrap();
        let gone_key = gone.session_key().unwrap();
        // As an eviction for room would: the entry goes, the index is not told.
        store.entries.delete(gone_key.as_str());
        assert_eq!(store.index_keys("ada").await.unwrap(), [gone_key]);

        assert_eq!(store.clear_expired().await.unwrap(), 0);
        assert!(store.index_keys("ada").await.unwrap().is_empty());
        assert!(!store.users().contains_key("ada"));
        assert_eq!(
            store.index_keys("bob").await.unwrap(),
            [kept.session_key().unwrap()]
        );
    }

    #[test]
    fn weight_follows_the_json_size() {
        let small = SessionRecord::new(
            json!({"a": 1}).as_object().unwrap().clone(),
            chrono::Utc::now(),
        );
        let big = SessionRecord::new(
            json!({"a": "x".repeat(10_000), "b": [1, 2, {"c": null}]})
                .as_object()
                .unwrap()
                .clone(),
            chrono::Utc::now(),
        );
        assert!(small.weight() < 20);
        let json_len = serde_json::to_string(big.data()).unwrap().len();
        assert!(big.weight().abs_diff(json_len) < 50, "{}", big.weight());
    }
}
