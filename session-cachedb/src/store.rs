//! [`CachedDbStore`]: a cache in front of a store.

use std::fmt::Display;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use session_cache::{Cache, CacheStore};
use session_core::{
    Error, InvalidKey, Result, SessionInventory, SessionKey, SessionRecord, SessionStore,
    StoreContext, UserIndex, async_trait,
};

/// Django's key prefix for the cached_db engine (`backends.cached_db.KEY_PREFIX`).
pub const DEFAULT_PREFIX: &str = "django.contrib.sessions.cached_db";

/// A write-through cache in front of a persistent store. `C` is any [`Cache`], including
/// `Arc<dyn Cache>`.
#[derive(Debug, Clone)]
pub struct CachedDbStore<C> {
    cache: CacheStore<C>,
    store: Arc<dyn SessionStore>,
}

/// Logs a cache failure the call survives.
fn cache_failed(doing: &str, error: &impl Display) {
    tracing::error!(target: "session_cachedb", %error, "Error {doing} the session cache; served from the store");
}

impl<C: Cache> CachedDbStore<C> {
    /// `cache` in front of `store`, with Django's prefix, [`DEFAULT_PREFIX`]. The context
    /// signs the cached values: the one `store` was built with, as
    /// [`SessionManager::build`](session_core::SessionManager::build) hands it out.
    pub fn new(cache: C, store: Arc<dyn SessionStore>, ctx: StoreContext) -> Self {
        let cache = CacheStore::new(cache, ctx)
            .with_prefix(DEFAULT_PREFIX)
            .expect("the default prefix is valid");
        CachedDbStore { cache, store }
    }

    /// Another cache key prefix (printable ASCII without spaces, at most 200 bytes).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use session_cache::MemoryCache;
    /// use session_cachedb::CachedDbStore;
    /// use session_core::{SessionSettings, StoreContext};
    ///
    /// let ctx = StoreContext::new(SessionSettings::new("secret")?);
    /// let db = Arc::new(session_conformance::ReferenceStore::open("doc", ctx.clone()));
    /// let store = CachedDbStore::new(MemoryCache::default(), db, ctx).with_prefix("shop:")?;
    /// assert_eq!(store.cache().prefix(), "shop:");
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Result<Self> {
        self.cache = self.cache.with_prefix(prefix)?;
        Ok(self)
    }

    /// The cache side.
    pub fn cache(&self) -> &CacheStore<C> {
        &self.cache
    }

    /// The persistent store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// The persistent store's per-user index.
    fn index(&self) -> Result<&dyn UserIndex> {
        self.store
            .user_index()
            .ok_or_else(|| Error::config("the persistent store keeps no per-user index"))
    }

    /// Puts what the store holds into the cache; a failure is logged. Under
    /// `SESSION_CONFLICTS=detect` the record carries the store's version, its stored
    /// encoding, and the cache gets those very bytes: a session read from the cache then
    /// carries the version the store compares with.
    /// So the persistent store's versions must be its stored encodings (the SQL stores'
    /// are); a `CacheStore` over memcached, whose versions are CAS tokens, cannot be one.
    async fn fill(&self, key: &SessionKey, record: &SessionRecord) {
        let put = match record.version() {
            Some(stored) => self.cache.put_encoded(key, stored, record).await,
            None => self.cache.put(key, record).await,
        };
        if let Err(error) = put {
            cache_failed("writing to", &error);
        }
    }

    /// Drops the cached copy (a failure is logged), so the next load reads the store.
    async fn evict(&self, key: &SessionKey) {
        if let Err(error) = self.cache.delete(key).await {
            cache_failed("deleting from", &error);
        }
    }

    /// The live cached record, `None` on a miss or a cache failure (logged). Its version is
    /// the stored encoding, what the store compares with.
    async fn cached(&self, key: &SessionKey) -> Option<SessionRecord> {
        self.cache.load_encoded(key).await.unwrap_or_else(|error| {
            cache_failed("reading", &error);
            None
        })
    }
}

#[async_trait]
impl<C: Cache> SessionStore for CachedDbStore<C> {
    fn parse_key(&self, raw: &str) -> Result<SessionKey, InvalidKey> {
        self.store.parse_key(raw)
    }

    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        if self.cached(key).await.is_some() {
            return Ok(true);
        }
        self.store.exists(key).await
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let key = self.store.create(key, record).await?;
        self.fill(&key, record).await;
        Ok(key)
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        match self.store.save(key, record).await {
            Ok(key) => {
                self.fill(&key, record).await;
                Ok(key)
            }
            Err(Error::SessionDeleted) => {
                self.evict(key).await;
                Err(Error::SessionDeleted)
            }
            Err(error) => Err(error),
        }
    }

    fn supports_conflict_detection(&self) -> bool {
        self.store.supports_conflict_detection()
    }

    /// The store compares and swaps, then the cache gets the new value. On a conflict or a
    /// deleted session the cached copy, stale, is dropped, so a retry reads the store.
    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        match self.store.save_if_unchanged(key, record, loaded).await {
            Ok(stored) => {
                self.fill(key, &stored).await;
                Ok(stored)
            }
            Err(error @ (Error::Conflict | Error::SessionDeleted)) => {
                self.evict(key).await;
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.store.delete(key).await?;
        self.cache.delete(key).await
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        if let Some(record) = self.cached(key).await {
            return Ok(Some(record));
        }
        let found = self.store.load(key).await?;
        if let Some(record) = &found {
            self.fill(key, record).await;
        }
        Ok(found)
    }

    async fn clear_expired(&self) -> Result<u64> {
        self.store.clear_expired().await
    }

    /// The persistent store's: it holds every session, the cache only some.
    fn inventory(&self) -> Option<&dyn SessionInventory> {
        self.store.inventory()
    }

    /// The persistent store's index, with sessions ended through this store (so the
    /// cached copies go too).
    fn user_index(&self) -> Option<&dyn UserIndex> {
        self.store.user_index().map(|_| self as &dyn UserIndex)
    }
}

#[async_trait]
impl<C: Cache> UserIndex for CachedDbStore<C> {
    async fn index_add(
        &self,
        user: &str,
        key: &SessionKey,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.index()?.index_add(user, key, expires_at).await
    }

    async fn index_keys(&self, user: &str) -> Result<Vec<SessionKey>> {
        self.index()?.index_keys(user).await
    }

    async fn index_remove(&self, user: &str, key: &SessionKey) -> Result<()> {
        self.index()?.index_remove(user, key).await
    }
}
