//! The in-process cache, shared by [`MemoryCache`] (strings, for any [`Cache`] user) and
//! [`MemoryStore`](crate::MemoryStore) (decoded sessions): LRU maps split into shards,
//! each behind its own mutex, with a TTL per entry.
//!
//! Why not moka, which this crate used before: per request (one load and one save of a
//! session), moka's bookkeeping (epoch-based reclamation, read and write logs replayed by
//! its housekeeper, the frequency sketch) took about 20,000 instructions, more than the
//! rest of the session layer together (callgrind, in-process `/visit`). Here a load or a
//! save is a hash for the shard, one uncontended lock and a map operation. Both hashes are
//! foldhash, seeded per map, several times cheaper than the standard library's SipHash on
//! a key this short; foldhash does not promise resistance to chosen collisions, which the
//! session stores do not need: they only ever write their own random keys (a client's key
//! is only looked up). A `MemoryCache` given keys that untrusted input chooses has no such
//! guarantee. Eviction drops the least
//! recently used entry of the shard just written (then of the next shards, if that one is
//! empty): with keys spread evenly over at most 16 shards, the oldest of a sixteenth of
//! the entries, which is near-LRU, and never the entry just written while another is there.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use foldhash::fast::RandomState;
use lru::LruCache;
use session_core::{Result, async_trait};

use crate::cache::{Cache, Swap};

/// Default capacity: 64 MiB of keys and values.
pub const DEFAULT_CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// At most this many shards; fewer for small capacities, so a small cache is one exact LRU.
const MAX_SHARDS: usize = 16;
/// Capacity per shard below which shards are not split further.
const MIN_SHARD_BYTES: u64 = 1024 * 1024;
/// A shard drops its expired entries after this many writes (amortised sweep), so entries
/// nobody reads again do not wait for capacity pressure to go.
const SWEEP_EVERY_WRITES: u64 = 4096;

/// What an entry costs beyond its key and value (LRU node, hash slot, boxed key, expiry,
/// the value's own allocation), counted against the capacity so that many small sessions
/// cannot take far more memory than it says.
const ENTRY_OVERHEAD: u64 = 192;

/// A TTL too long for `Instant` arithmetic becomes this: a century.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 86_400);

/// What an entry weighs against the capacity, in bytes (an estimate is fine).
pub(crate) trait Weigh {
    fn weight(&self) -> usize;
}

impl Weigh for Arc<str> {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// A bounded map from keys to values with a TTL each, atomic add and replace, and
/// (near-)LRU eviction once the total weight passes the capacity. Clones share the entries.
///
/// Eviction is by recency only (never refusing a new entry, as moka's TinyLFU may): for
/// sessions, a visitor who just logged in must not be logged out on the next request while
/// long-idle sessions stay.
#[derive(Debug)]
pub(crate) struct Entries<V> {
    inner: Arc<Inner<V>>,
}

impl<V> Clone for Entries<V> {
    fn clone(&self) -> Self {
        Entries {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Debug)]
struct Inner<V> {
    shards: Box<[Mutex<Shard<V>>]>,
    hasher: RandomState,
    capacity: u64,
    /// Keys and values of every shard, in bytes.
    weight: AtomicU64,
}

struct Shard<V> {
    /// Least recently used first.
    map: LruCache<Box<str>, Slot<V>, RandomState>,
    writes: u64,
}

impl<V> std::fmt::Debug for Shard<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("entries", &self.map.len())
            .finish()
    }
}

struct Slot<V> {
    value: V,
    expires: Instant,
    weight: u64,
}

impl<V: Weigh + Clone> Entries<V> {
    /// At most `bytes` of keys and values.
    pub(crate) fn with_capacity(bytes: u64) -> Self {
        let shards = (bytes / MIN_SHARD_BYTES).clamp(1, MAX_SHARDS as u64) as usize;
        let shards = (0..shards)
            .map(|_| {
                Mutex::new(Shard {
                    map: LruCache::unbounded_with_hasher(RandomState::default()),
                    writes: 0,
                })
            })
            .collect();
        Entries {
            inner: Arc::new(Inner {
                shards,
                hasher: RandomState::default(),
                capacity: bytes,
                weight: AtomicU64::new(0),
            }),
        }
    }

    fn shard_of(&self, key: &str) -> usize {
        (self.inner.hasher.hash_one(key) % self.inner.shards.len() as u64) as usize
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard<V>> {
        // A panic while a shard was locked leaves its map consistent (no operation here
        // panics half-way through a change), so a poisoned lock is still usable.
        self.inner.shards[shard]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn get(&self, key: &str) -> Option<V> {
        let now = Instant::now();
        let mut shard = self.lock(self.shard_of(key));
        let slot = shard.map.get(key)?;
        if slot.expires > now {
            return Some(slot.value.clone());
        }
        shard.remove(key, &self.inner.weight);
        None
    }

    /// Whether a live entry is under `key`, without counting as a use (no LRU promotion).
    pub(crate) fn contains(&self, key: &str) -> bool {
        let now = Instant::now();
        let shard = self.lock(self.shard_of(key));
        shard.map.peek(key).is_some_and(|slot| slot.expires > now)
    }

    pub(crate) fn set(&self, key: &str, value: V, ttl: Duration) {
        self.write(key, |_| Some(value), ttl);
    }

    /// Stores only if nothing is there; true when it stored.
    pub(crate) fn add(&self, key: &str, value: V, ttl: Duration) -> bool {
        self.write(key, |live| live.is_none().then_some(value), ttl)
    }

    /// Stores only if something is there; true when it stored.
    pub(crate) fn replace(&self, key: &str, value: V, ttl: Duration) -> bool {
        self.write(key, |live| live.is_some().then_some(value), ttl)
    }

    pub(crate) fn delete(&self, key: &str) {
        let shard = self.shard_of(key);
        self.lock(shard).remove(key, &self.inner.weight);
    }

    /// Under the key's lock: `decide` is shown the live entry, if any, and returns the
    /// value to store, if any. True when it stored.
    fn write(
        &self,
        key: &str,
        decide: impl FnOnce(Option<&V>) -> Option<V>,
        ttl: Duration,
    ) -> bool {
        let now = Instant::now();
        let index = self.shard_of(key);
        let stored = {
            let mut shard = self.lock(index);
            let charge = |value: V| {
                let weight = (key.len() + value.weight()) as u64 + ENTRY_OVERHEAD;
                self.inner.weight.fetch_add(weight, Ordering::Relaxed);
                Slot {
                    value,
                    expires: now.checked_add(ttl).unwrap_or(now + FOREVER),
                    weight,
                }
            };
            // An entry already there (live or expired) is overwritten in place, without a
            // new key allocation, and becomes the most recently used only if written.
            if let Some(present) = shard.map.peek_mut(key) {
                let live = (present.expires > now).then_some(&present.value);
                let Some(value) = decide(live) else {
                    return false;
                };
                let old = std::mem::replace(present, charge(value));
                self.inner.weight.fetch_sub(old.weight, Ordering::Relaxed);
                shard.map.promote(key);
            } else {
                let Some(value) = decide(None) else {
                    return false;
                };
                shard.map.put(key.into(), charge(value));
            }
            shard.writes += 1;
            if shard.writes % SWEEP_EVERY_WRITES == 0 {
                shard.remove_expired(now, &self.inner.weight);
            }
            true
        };
        self.make_room(index, key);
        stored
    }

    /// Evicts until the total weight is within the capacity: least recently used first in
    /// shard `first` (the one just written), then in the others. `written` itself is never
    /// evicted, so a write that returned true is there to read (an entry heavier than the
    /// whole capacity stays until it is the least recently used of its shard).
    fn make_room(&self, first: usize, written: &str) {
        let shards = self.inner.shards.len();
        for n in 0..shards {
            if self.inner.weight.load(Ordering::Relaxed) <= self.inner.capacity {
                return;
            }
            let keep = (n == 0).then_some(written);
            let mut shard = self.lock((first + n) % shards);
            while self.inner.weight.load(Ordering::Relaxed) > self.inner.capacity
                && shard.evict_one(keep, &self.inner.weight)
            {}
        }
    }

    /// Drops every expired entry; how many there were.
    pub(crate) fn remove_expired(&self) -> u64 {
        let now = Instant::now();
        (0..self.inner.shards.len())
            .map(|n| self.lock(n).remove_expired(now, &self.inner.weight))
            .sum()
    }

    /// Stores only if something is there and `unchanged` says it is still what the caller
    /// read, atomically.
    pub(crate) fn compare_and_replace(
        &self,
        key: &str,
        unchanged: impl FnOnce(&V) -> bool,
        value: V,
        ttl: Duration,
    ) -> Swap {
        let mut outcome = Swap::Missing;
        self.write(
            key,
            |live| match live {
                None => None,
                Some(current) if unchanged(current) => {
                    outcome = Swap::Swapped;
                    Some(value)
                }
                Some(_) => {
                    outcome = Swap::Changed;
                    None
                }
            },
            ttl,
        );
        outcome
    }

    /// Up to `limit` live entries whose key starts with `prefix` and sorts after `after`,
    /// in key order (each shard locked in turn; recency is not touched).
    pub(crate) fn entries_after(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Vec<(String, V)> {
        let now = Instant::now();
        let mut found = Vec::new();
        for n in 0..self.inner.shards.len() {
            let shard = self.lock(n);
            found.extend(
                shard
                    .map
                    .iter()
                    .filter(|(key, slot)| {
                        slot.expires > now && key.starts_with(prefix) && &***key > after
                    })
                    .map(|(key, slot)| (key.to_string(), slot.value.clone())),
            );
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.truncate(limit);
        found
    }

    /// Every live entry's value.
    pub(crate) fn values(&self) -> Vec<V> {
        self.entries_after("", "", usize::MAX)
            .into_iter()
            .map(|(_, value)| value)
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn weighted_size(&self) -> u64 {
        self.inner.weight.load(Ordering::Relaxed)
    }
}

impl<V> Shard<V> {
    fn remove(&mut self, key: &str, total: &AtomicU64) {
        if let Some(old) = self.map.pop(key) {
            total.fetch_sub(old.weight, Ordering::Relaxed);
        }
    }

    /// Drops the least recently used entry unless it is `keep`; false when nothing was
    /// dropped.
    fn evict_one(&mut self, keep: Option<&str>, total: &AtomicU64) -> bool {
        if keep.is_some_and(|keep| self.map.peek_lru().is_some_and(|(key, _)| &**key == keep)) {
            return false;
        }
        match self.map.pop_lru() {
            Some((_, old)) => {
                total.fetch_sub(old.weight, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    fn remove_expired(&mut self, now: Instant, total: &AtomicU64) -> u64 {
        let expired: Vec<Box<str>> = self
            .map
            .iter()
            .filter(|(_, slot)| slot.expires <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &expired {
            self.remove(key, total);
        }
        expired.len() as u64
    }
}

/// A bounded in-process [`Cache`] of strings: entries expire after their own TTL, and the
/// least recently used ones are evicted when the capacity (in bytes of keys and values)
/// is reached (near-LRU, never turning a new session away from a full cache).
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
        Ok(self.entries.get(key).map(|value| value.to_string()))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        self.entries.set(key, Arc::from(value), ttl);
        Ok(())
    }

    async fn add(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        Ok(self.entries.add(key, Arc::from(value), ttl))
    }

    async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        Ok(self.entries.replace(key, Arc::from(value), ttl))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.entries.delete(key);
        Ok(())
    }

    fn supports_compare_and_swap(&self) -> bool {
        true
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Swap> {
        Ok(self.entries.compare_and_replace(
            key,
            |current| &**current == expected,
            Arc::from(value),
            ttl,
        ))
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
            assert!(
                cache.get(&key).await.unwrap().is_some(),
                "session {n} was turned away"
            );
        }
        assert!(cache.entries.weighted_size() <= 64 * 1024);
        assert!(cache.get("session0").await.unwrap().is_none());
    }

    #[test]
    fn entries_expire_after_their_own_ttl() {
        let entries = Entries::<Arc<str>>::with_capacity(1 << 20);
        entries.set("short", Arc::from("a"), Duration::from_millis(30));
        entries.set("long", Arc::from("b"), Duration::from_secs(60));
        assert!(entries.get("short").is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(entries.get("short").is_none());
        assert!(!entries.replace("short", Arc::from("c"), Duration::from_secs(60)));
        assert!(entries.add("short", Arc::from("d"), Duration::from_secs(60)));
        assert_eq!(entries.get("short").as_deref(), Some("d"));
        assert_eq!(entries.get("long").as_deref(), Some("b"));
    }

    #[test]
    fn add_and_replace_are_insert_if_absent_and_update_if_present() {
        let entries = Entries::<Arc<str>>::with_capacity(1 << 20);
        let ttl = Duration::from_secs(60);
        assert!(!entries.replace("k", Arc::from("1"), ttl));
        assert!(entries.get("k").is_none());
        assert!(entries.add("k", Arc::from("2"), ttl));
        assert!(!entries.add("k", Arc::from("3"), ttl));
        assert!(entries.replace("k", Arc::from("4"), ttl));
        assert_eq!(entries.get("k").as_deref(), Some("4"));
        entries.delete("k");
        assert!(entries.get("k").is_none());
        assert_eq!(entries.weighted_size(), 0);
    }

    #[test]
    fn overwriting_in_place_charges_the_new_size_only() {
        let entries = Entries::<Arc<str>>::with_capacity(1 << 20);
        let ttl = Duration::from_secs(60);
        assert!(entries.add("k", Arc::from("1"), ttl));
        assert!(entries.replace("k", Arc::from("12345"), ttl));
        assert_eq!(entries.weighted_size(), 1 + 5 + ENTRY_OVERHEAD);
        entries.set("e", Arc::from("abc"), Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(20));
        assert!(entries.add("e", Arc::from("abcdefgh"), ttl));
        assert_eq!(entries.get("e").as_deref(), Some("abcdefgh"));
        assert_eq!(
            entries.weighted_size(),
            (1 + 5) + (1 + 8) + 2 * ENTRY_OVERHEAD
        );
    }

    #[test]
    fn remove_expired_counts_and_frees_what_it_dropped() {
        let entries = Entries::<Arc<str>>::with_capacity(64 << 20);
        for n in 0..100 {
            let ttl = Duration::from_millis(if n % 2 == 0 { 20 } else { 60_000 });
            entries.set(&format!("k{n}"), Arc::from("value"), ttl);
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(entries.remove_expired(), 50);
        // k1, k3 .. k9 and k11 .. k99 are left, with their 5-byte values.
        assert_eq!(
            entries.weighted_size(),
            5 * (2 + 5) + 45 * (3 + 5) + 50 * ENTRY_OVERHEAD
        );
        assert_eq!(entries.remove_expired(), 0);
    }

    /// Recently read entries survive eviction; the ones nobody touched go first.
    #[test]
    fn eviction_prefers_the_least_recently_used() {
        let entries = Entries::<Arc<str>>::with_capacity(100 * 1024);
        let value: Arc<str> = Arc::from("v".repeat(1000));
        let ttl = Duration::from_secs(60);
        for n in 0..50 {
            entries.set(&format!("hot{n:03}"), value.clone(), ttl);
        }
        for n in 0..1_000 {
            if n % 10 == 0 {
                for hot in 0..50 {
                    assert!(entries.get(&format!("hot{hot:03}")).is_some() || n > 0);
                }
            }
            entries.set(&format!("cold{n:04}"), value.clone(), ttl);
        }
        let hot = (0..50)
            .filter(|n| entries.get(&format!("hot{n:03}")).is_some())
            .count();
        let cold_early = (0..100)
            .filter(|n| entries.get(&format!("cold{n:04}")).is_some())
            .count();
        assert!(entries.weighted_size() <= 100 * 1024);
        assert_eq!(hot, 50, "only {hot} of 50 hot entries survived");
        assert_eq!(cold_early, 0, "old cold entries outlived hot ones");
    }

    /// Many shards, many threads: the capacity holds and the books balance.
    #[test]
    fn concurrent_writers_keep_the_weight_exact_and_bounded() {
        let capacity = 8 << 20;
        let entries = Entries::<Arc<str>>::with_capacity(capacity);
        let value: Arc<str> = Arc::from("v".repeat(4000));
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let entries = entries.clone();
                let value = value.clone();
                scope.spawn(move || {
                    for n in 0..5_000 {
                        let key = format!("t{thread}-{n}");
                        entries.set(&key, value.clone(), Duration::from_secs(60));
                        if n % 3 == 0 {
                            entries.delete(&key);
                        }
                    }
                });
            }
        });
        let counted: u64 = entries
            .inner
            .shards
            .iter()
            .map(|shard| {
                let shard = shard.lock().unwrap();
                shard.map.iter().map(|(_, slot)| slot.weight).sum::<u64>()
            })
            .sum();
        assert_eq!(entries.weighted_size(), counted);
        assert!(counted <= capacity);
        assert!(counted > capacity / 2, "evicted far too much: {counted}");
    }

    /// An entry larger than what its shard holds evicts the others, never itself.
    #[test]
    fn the_entry_just_written_is_never_evicted() {
        let entries = Entries::<Arc<str>>::with_capacity(4 << 20);
        let ttl = Duration::from_secs(60);
        for n in 0..2_000 {
            entries.set(&format!("small{n}"), Arc::from("v".repeat(1000)), ttl);
        }
        let big: Arc<str> = Arc::from("b".repeat(3 << 20));
        assert!(entries.add("big", big.clone(), ttl));
        assert_eq!(entries.get("big").as_deref().map(str::len), Some(3 << 20));
        assert!(entries.weighted_size() <= 4 << 20);
        let huge: Arc<str> = Arc::from("h".repeat(5 << 20));
        entries.set("huge", huge, ttl);
        assert!(
            entries.get("huge").is_some(),
            "a write that returned was dropped"
        );
    }
}
