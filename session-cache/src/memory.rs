//! [`MemoryCache`]: an in-process cache on moka, the embedded default.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::future::Cache as Moka;
use moka::ops::compute::{CompResult, Op};
use moka::policy::EvictionPolicy;
use session_core::{Result, async_trait};

use crate::cache::Cache;

/// Default capacity: 64 MiB of keys and values.
pub const DEFAULT_CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// A bounded in-process cache: entries expire after their own TTL, and the least recently
/// used ones are evicted when the capacity (in bytes of keys and values) is reached.
///
/// Eviction is LRU, not moka's default TinyLFU: TinyLFU may refuse to admit a new entry
/// into a full cache, which for sessions means a visitor who just logged in is logged out
/// on the next request while long-idle sessions stay.
///
/// Sessions live in this process only: use it for one-process apps and tests, and a cache
/// server when several processes serve the same site. Clones share the entries.
///
/// ```
/// use session_cache::MemoryCache;
/// let cache = MemoryCache::with_capacity(16 * 1024 * 1024); // 16 MiB
/// let shared = cache.clone(); // the same entries
/// ```
#[derive(Debug, Clone)]
pub struct MemoryCache {
    entries: Moka<String, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    value: Arc<str>,
    ttl: Duration,
}

/// Each entry lives for its own TTL, restarted when it is written.
struct OwnTtl;

impl Expiry<String, Entry> for OwnTtl {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _at: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        _at: Instant,
        _left: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY_BYTES)
    }
}

impl MemoryCache {
    /// A cache holding at most `bytes` of keys and values.
    pub fn with_capacity(bytes: u64) -> Self {
        let entries = Moka::builder()
            .max_capacity(bytes)
            .weigher(|key: &String, entry: &Entry| {
                u32::try_from(key.len() + entry.value.len()).unwrap_or(u32::MAX)
            })
            .expire_after(OwnTtl)
            .eviction_policy(EvictionPolicy::lru())
            .build();
        MemoryCache { entries }
    }

    fn entry(value: &str, ttl: Duration) -> Entry {
        Entry {
            value: Arc::from(value),
            ttl,
        }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.entries.get(key).await.map(|e| e.value.to_string()))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        self.entries
            .insert(key.to_owned(), Self::entry(value, ttl))
            .await;
        Ok(())
    }

    async fn add(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let entry = self
            .entries
            .entry_by_ref(key)
            .or_insert(Self::entry(value, ttl))
            .await;
        Ok(entry.is_fresh())
    }

    async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let new = Self::entry(value, ttl);
        let outcome = self
            .entries
            .entry_by_ref(key)
            .and_compute_with(|current| {
                std::future::ready(match current {
                    Some(_) => Op::Put(new),
                    None => Op::Nop,
                })
            })
            .await;
        Ok(matches!(outcome, CompResult::ReplacedWith(_)))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        // Through the entry API, as `replace`: moka runs the two one after the other on a
        // key, so a replace that found the entry cannot put it back after the delete
        // (`invalidate` does not wait for a running replace).
        self.entries
            .entry_by_ref(key)
            .and_compute_with(|_| std::future::ready(Op::Remove))
            .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Far past its capacity, every session just written is still there.
    #[tokio::test]
    async fn a_full_cache_keeps_the_newest_sessions() {
        let cache = MemoryCache::with_capacity(64 * 1024);
        let value = "v".repeat(1024);
        let ttl = Duration::from_secs(60);
        for n in 0..1_000 {
            let key = format!("session{n}");
            assert!(cache.add(&key, &value, ttl).await.unwrap());
            cache.entries.run_pending_tasks().await;
            assert!(
                cache.get(&key).await.unwrap().is_some(),
                "session {n} was turned away"
            );
        }
        cache.entries.run_pending_tasks().await;
        assert!(cache.entries.weighted_size() <= 64 * 1024);
        assert!(cache.get("session0").await.unwrap().is_none());
    }
}
