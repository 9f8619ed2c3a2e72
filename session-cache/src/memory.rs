//! The in-process cache on moka, shared by [`MemoryCache`] (strings, for any [`Cache`]
//! user) and [`MemoryStore`](crate::MemoryStore) (decoded sessions).

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

/// What an entry weighs against the capacity, in bytes (an estimate is fine).
pub(crate) trait Weigh {
    fn weight(&self) -> usize;
}

impl Weigh for Arc<str> {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// A bounded map from keys to values with a TTL each, atomic add and replace, and LRU
/// eviction.
///
/// Eviction is LRU, not moka's default TinyLFU: TinyLFU may refuse to admit a new entry
/// into a full cache, which for sessions means a visitor who just logged in is logged out
/// on the next request while long-idle sessions stay.
#[derive(Debug, Clone)]
pub(crate) struct Entries<V: Clone + Send + Sync + 'static> {
    moka: Moka<String, Entry<V>>,
}

#[derive(Debug, Clone)]
struct Entry<V> {
    value: V,
    ttl: Duration,
}

/// Each entry lives for its own TTL, restarted when it is written.
struct OwnTtl;

impl<V> Expiry<String, Entry<V>> for OwnTtl {
    fn expire_after_create(&self, _: &String, entry: &Entry<V>, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry<V>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

impl<V: Weigh + Clone + Send + Sync + 'static> Entries<V> {
    /// At most `bytes` of keys and values.
    pub(crate) fn with_capacity(bytes: u64) -> Self {
        let moka = Moka::builder()
            .max_capacity(bytes)
            .weigher(|key: &String, entry: &Entry<V>| {
                u32::try_from(key.len() + entry.value.weight()).unwrap_or(u32::MAX)
            })
            .expire_after(OwnTtl)
            .eviction_policy(EvictionPolicy::lru())
            .build();
        Entries { moka }
    }

    pub(crate) async fn get(&self, key: &str) -> Option<V> {
        self.moka.get(key).await.map(|entry| entry.value)
    }

    pub(crate) async fn set(&self, key: &str, value: V, ttl: Duration) {
        self.moka.insert(key.to_owned(), Entry { value, ttl }).await;
    }

    /// Stores only if nothing is there; true when it stored.
    pub(crate) async fn add(&self, key: &str, value: V, ttl: Duration) -> bool {
        self.moka
            .entry_by_ref(key)
            .or_insert(Entry { value, ttl })
            .await
            .is_fresh()
    }

    /// Stores only if something is there; true when it stored.
    pub(crate) async fn replace(&self, key: &str, value: V, ttl: Duration) -> bool {
        let new = Entry { value, ttl };
        let outcome = self
            .moka
            .entry_by_ref(key)
            .and_compute_with(|current| {
                std::future::ready(match current {
                    Some(_) => Op::Put(new),
                    None => Op::Nop,
                })
            })
            .await;
        matches!(outcome, CompResult::ReplacedWith(_))
    }

    pub(crate) async fn delete(&self, key: &str) {
        // Through the entry API, as `replace`: moka runs the two one after the other on a
        // key, so a replace that found the entry cannot put it back after the delete
        // (`invalidate` does not wait for a running replace).
        self.moka
            .entry_by_ref(key)
            .and_compute_with(|_| std::future::ready(Op::Remove))
            .await;
    }

    /// Up to `limit` live entries whose key starts with `prefix` and sorts after `after`,
    /// in key order.
    pub(crate) fn entries_after(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Vec<(String, V)> {
        let mut found: Vec<(String, V)> = self
            .moka
            .iter()
            .filter(|(key, _)| key.starts_with(prefix) && key.as_str() > after)
            .map(|(key, entry)| ((*key).clone(), entry.value))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.truncate(limit);
        found
    }

    /// Every live entry's value.
    pub(crate) fn values(&self) -> impl Iterator<Item = V> + '_ {
        self.moka.iter().map(|(_, entry)| entry.value)
    }

    #[cfg(test)]
    pub(crate) async fn settle(&self) -> u64 {
        self.moka.run_pending_tasks().await;
        self.moka.weighted_size()
    }
}

/// A bounded in-process [`Cache`] of strings: entries expire after their own TTL, and the
/// least recently used ones are evicted when the capacity (in bytes of keys and values)
/// is reached (LRU, not moka's TinyLFU, which may turn a new session away from a full
/// cache).
///
/// For in-process sessions, [`MemoryStore`](crate::MemoryStore) is faster: it keeps
/// sessions decoded. This cache serves where a [`Cache`] is needed, such as in front of a
/// database with `session-cachedb`. Clones share the entries.
///
/// ```
/// use session_cache::MemoryCache;
/// let cache = MemoryCache::with_capacity(16 * 1024 * 1024); // 16 MiB
/// let shared = cache.clone(); // the same entries
/// ```
#[derive(Debug, Clone)]
pub struct MemoryCache {
    entries: Entries<Arc<str>>,
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY_BYTES)
    }
}

impl MemoryCache {
    /// A cache holding at most `bytes` of keys and values.
    pub fn with_capacity(bytes: u64) -> Self {
        MemoryCache {
            entries: Entries::with_capacity(bytes),
        }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.entries.get(key).await.map(|value| value.to_string()))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        self.entries.set(key, Arc::from(value), ttl).await;
        Ok(())
    }

    async fn add(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        Ok(self.entries.add(key, Arc::from(value), ttl).await)
    }

    async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        Ok(self.entries.replace(key, Arc::from(value), ttl).await)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.entries.delete(key).await;
        Ok(())
    }

    fn can_scan(&self) -> bool {
        true
    }

    /// In key order; the cursor is the last key listed.
    async fn scan(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        count: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        let count = count.max(1);
        let keys: Vec<String> = self
            .entries
            .entries_after(prefix, cursor.unwrap_or(""), count)
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        let next = (keys.len() == count).then(|| keys[count - 1].clone());
        Ok((keys, next))
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
            cache.entries.settle().await;
            assert!(
                cache.get(&key).await.unwrap().is_some(),
                "session {n} was turned away"
            );
        }
        assert!(cache.entries.settle().await <= 64 * 1024);
        assert!(cache.get("session0").await.unwrap().is_none());
    }
}
