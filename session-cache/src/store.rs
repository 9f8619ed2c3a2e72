//! [`CacheStore`]: the six primitives over any [`Cache`].

use std::time::Duration;

use chrono::{DateTime, Utc};

use session_core::{
    Cursor, Error, KeyBatch, Result, SessionInventory, SessionKey, SessionRecord, SessionStore,
    StoreContext, UserIndex, async_trait,
};

use crate::cache::{Cache, Swap};

/// Django's key prefix for the cache engine (`backends.cache.KEY_PREFIX`).
pub const DEFAULT_PREFIX: &str = "django.contrib.sessions.cache";

/// Longest prefix accepted: a 40-character key must still fit memcached's 250 bytes.
const MAX_PREFIX: usize = 200;

/// The shortest TTL a write asks for: a cache cannot keep something for zero seconds, and
/// an already-expired session is filtered out by `load` anyway.
const MIN_TTL: Duration = Duration::from_secs(1);

/// Sessions in a cache: Django's `backends.cache`.
///
/// The value under `<prefix><key>` is the core's signed stored-session encoding, so data
/// written into the cache by anyone without the secret is no session.
#[derive(Debug, Clone)]
pub struct CacheStore<C> {
    cache: C,
    prefix: String,
    ctx: StoreContext,
}

impl<C: Cache> CacheStore<C> {
    /// A store over `cache` with Django's prefix, [`DEFAULT_PREFIX`].
    pub fn new(cache: C, ctx: StoreContext) -> Self {
        CacheStore {
            cache,
            prefix: DEFAULT_PREFIX.to_owned(),
            ctx,
        }
    }

    /// Another key prefix, so several applications can share one cache server. It must be
    /// printable ASCII without spaces, at most 200 bytes.
    ///
    /// ```
    /// use session_cache::{CacheStore, MemoryCache};
    /// use session_core::{SessionSettings, StoreContext};
    /// let ctx = StoreContext::new(SessionSettings::new("secret")?);
    /// let store = CacheStore::new(MemoryCache::default(), ctx.clone()).with_prefix("shop:")?;
    /// assert_eq!(store.prefix(), "shop:");
    /// assert!(CacheStore::new(MemoryCache::default(), ctx).with_prefix("two words").is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Result<Self> {
        let prefix = prefix.into();
        if prefix.len() > MAX_PREFIX || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::config(format!(
                "cache key prefix {prefix:?} must be at most {MAX_PREFIX} printable ASCII characters without spaces"
            )));
        }
        self.prefix = prefix;
        Ok(self)
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The cache.
    pub fn cache(&self) -> &C {
        &self.cache
    }

    /// The store context.
    pub fn context(&self) -> &StoreContext {
        &self.ctx
    }

    /// The cache key of a session: the prefix and the key, with no separator (Django's
    /// layout).
    pub fn cache_key(&self, key: &SessionKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    /// The cache key of a user's set of sessions.
    fn user_key(&self, user: &str) -> String {
        format!("{}users:{user}", self.prefix)
    }

    /// Writes `record` under `key` whether or not it is there: what a write-through layer
    /// in front of another store uses to fill the cache.
    pub async fn put(&self, key: &SessionKey, record: &SessionRecord) -> Result<()> {
        let (value, ttl) = self.entry(record)?;
        self.cache
            .set(&self.cache_key(key), &value, ttl)
            .await
            .map_err(|e| e.redacted(key))
    }

    /// Writes `value`, a stored-session encoding made elsewhere (another store's version of
    /// `record`), under `key` whether or not it is there, for as long as `record` lives.
    pub async fn put_encoded(
        &self,
        key: &SessionKey,
        value: &str,
        record: &SessionRecord,
    ) -> Result<()> {
        let ttl = record.ttl(self.ctx.now()).unwrap_or(MIN_TTL).max(MIN_TTL);
        self.cache
            .set(&self.cache_key(key), value, ttl)
            .await
            .map_err(|e| e.redacted(key))
    }

    /// [`load`](SessionStore::load), with the stored encoding as the version under
    /// `SESSION_CONFLICTS=detect` whatever versions the cache keeps: what a layer whose
    /// versions another store compares (a write-through cache in front of it) reads.
    pub async fn load_encoded(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let value = self
            .cache
            .get(&self.cache_key(key))
            .await
            .map_err(|e| e.redacted(key))?;
        Ok(value.and_then(|value| Some(self.ctx.loaded(self.live(&value)?, &value))))
    }

    /// The session a cached value holds, if it is one and has not expired. The cache's own
    /// expiry runs on the server's clock; the session's is checked here, on the store's.
    fn live(&self, value: &str) -> Option<SessionRecord> {
        let now = self.ctx.now();
        self.ctx
            .decode_record(value)
            .filter(|record| !record.is_expired(now))
    }

    /// The encoded record ([`StoreContext::encode_record`], so `load` reads the same expiry
    /// back) and how long the cache keeps it.
    fn entry(&self, record: &SessionRecord) -> Result<(String, Duration)> {
        let value = self.ctx.encode_record(record)?;
        let ttl = record.ttl(self.ctx.now()).unwrap_or(MIN_TTL);
        Ok((value, ttl.max(MIN_TTL)))
    }
}

#[async_trait]
impl<C: Cache> SessionStore for CacheStore<C> {
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        Ok(self
            .cache
            .get(&self.cache_key(key))
            .await
            .map_err(|e| e.redacted(key))?
            .is_some())
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let (value, ttl) = self.entry(record)?;
        if self
            .cache
            .add(&self.cache_key(key), &value, ttl)
            .await
            .map_err(|e| e.redacted(key))?
        {
            Ok(key.clone())
        } else {
            Err(Error::KeyCollision)
        }
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let (value, ttl) = self.entry(record)?;
        if self
            .cache
            .replace(&self.cache_key(key), &value, ttl)
            .await
            .map_err(|e| e.redacted(key))?
        {
            Ok(key.clone())
        } else {
            Err(Error::SessionDeleted)
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.cache
            .delete(&self.cache_key(key))
            .await
            .map_err(|e| e.redacted(key))
    }

    /// Under `SESSION_CONFLICTS=detect` the record's version is the cache's
    /// ([`Cache::get_versioned`]: memcached's CAS token), which only this store's
    /// [`save_if_unchanged`](SessionStore::save_if_unchanged) understands.
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        if !self.ctx.detects_conflicts() {
            return self.load_encoded(key).await;
        }
        let found = self
            .cache
            .get_versioned(&self.cache_key(key))
            .await
            .map_err(|e| e.redacted(key))?;
        Ok(found.and_then(|(value, version)| Some(self.live(&value)?.with_version(version))))
    }

    fn supports_conflict_detection(&self) -> bool {
        self.cache.supports_compare_and_swap()
    }

    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let expected = loaded.expect_version()?;
        let (value, ttl) = self.entry(record)?;
        let swap = self
            .cache
            .compare_and_swap(&self.cache_key(key), expected, &value, ttl)
            .await
            .map_err(|e| e.redacted(key))?;
        match swap {
            Swap::Swapped => Ok(record.clone().with_version(value)),
            Swap::Changed => Err(Error::Conflict),
            Swap::Missing => Err(Error::SessionDeleted),
        }
    }

    /// The cache expires entries by itself: nothing to do.
    async fn clear_expired(&self) -> Result<u64> {
        Ok(0)
    }

    /// On caches that list their keys ([`Cache::can_scan`]).
    fn inventory(&self) -> Option<&dyn SessionInventory> {
        self.cache
            .can_scan()
            .then_some(self as &dyn SessionInventory)
    }

    /// On caches with sets ([`Cache::has_sets`]: Redis).
    fn user_index(&self) -> Option<&dyn UserIndex> {
        self.cache.has_sets().then_some(self as &dyn UserIndex)
    }
}

/// A set per user under `<prefix>users:<id>` (never a session key: `:` is not in the key
/// alphabet), living as long as the user's longest session.
#[async_trait]
impl<C: Cache> UserIndex for CacheStore<C> {
    async fn index_add(
        &self,
        user: &str,
        key: &SessionKey,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let ttl = (expires_at - self.ctx.now())
            .to_std()
            .unwrap_or(MIN_TTL)
            .max(MIN_TTL);
        self.cache
            .set_add(&self.user_key(user), key.as_str(), ttl)
            .await
            .map_err(|e| e.redacted(key))
    }

    async fn index_keys(&self, user: &str) -> Result<Vec<SessionKey>> {
        let members = self.cache.set_members(&self.user_key(user)).await?;
        Ok(members
            .iter()
            .filter_map(|k| SessionKey::parse(k).ok())
            .collect())
    }

    async fn index_remove(&self, user: &str, key: &SessionKey) -> Result<()> {
        self.cache
            .set_remove(&self.user_key(user), key.as_str())
            .await
            .map_err(|e| e.redacted(key))
    }
}

/// The cache's keys under the prefix ([`Cache::scan`]); entries the cache has expired are
/// gone, so `count` counts the distinct keys listed. Keys under the prefix that are not
/// session keys (another application's) are skipped.
#[async_trait]
impl<C: Cache> SessionInventory for CacheStore<C> {
    async fn list_keys(&self, from: Option<&Cursor>, limit: usize) -> Result<KeyBatch> {
        let (keys, next) = self
            .cache
            .scan(&self.prefix, from.map(Cursor::as_str), limit)
            .await?;
        let keys = keys
            .iter()
            .filter_map(|k| SessionKey::parse(k.strip_prefix(self.prefix.as_str())?).ok())
            .collect();
        Ok(KeyBatch::new(keys, next.map(Cursor::new)))
    }

    async fn count(&self) -> Result<u64> {
        let keys = session_core::inventory::all_keys(self, 1000).await?;
        Ok(keys.len() as u64)
    }
}
