//! [`Cache`]: the five operations a session store needs from a cache.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use session_core::{Result, async_trait};

/// A key/value cache with per-entry expiry: what [`CacheStore`](crate::CacheStore) runs on.
///
/// Keys are printable ASCII without whitespace (at most 250 bytes, memcached's limit);
/// values are the signed strings the store writes. `ttl` is always at least one second.
/// A backend failure (connection refused, timeout) is an
/// [`Error::Backend`](session_core::Error::Backend), never a panic or a hang.
///
/// Implement it to put sessions in another cache; `Arc<dyn Cache>` is a cache too.
///
/// ```
/// use std::time::Duration;
/// use session_cache::{Cache, MemoryCache};
///
/// # async fn demo() -> session_core::Result<()> {
/// let cache = MemoryCache::default();
/// assert!(cache.add("k", "v1", Duration::from_secs(60)).await?);
/// assert!(!cache.add("k", "v2", Duration::from_secs(60)).await?); // already there
/// assert!(cache.replace("k", "v3", Duration::from_secs(60)).await?);
/// assert_eq!(cache.get("k").await?.as_deref(), Some("v3"));
/// cache.delete("k").await?;
/// assert!(!cache.replace("k", "v4", Duration::from_secs(60)).await?); // gone
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Cache: Send + Sync + Debug {
    /// The value under `key`, `None` when missing or expired.
    async fn get(&self, key: &str) -> Result<Option<String>>;

    /// The value under `key` and its version, `None` when missing or expired: what
    /// [`compare_and_swap`](Self::compare_and_swap) takes as `expected` to store only over
    /// that very entry.
    ///
    /// The default reads [`get`](Self::get) and gives the value itself as the version. A
    /// cache with a cheaper version of its own returns that instead (memcached: its CAS
    /// token, so the swap needs no second read); such a version never equals a value
    /// [`CacheStore`](crate::CacheStore) writes, and its `compare_and_swap` still takes a
    /// plain value as `expected`.
    async fn get_versioned(&self, key: &str) -> Result<Option<(String, String)>> {
        Ok(self.get(key).await?.map(|value| (value.clone(), value)))
    }

    /// Stores `value` under `key` for `ttl`, whatever was there.
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()>;

    /// Stores `value` under `key` for `ttl` only if nothing is there, atomically. True when
    /// it stored.
    async fn add(&self, key: &str, value: &str, ttl: Duration) -> Result<bool>;

    /// Stores `value` under `key` for `ttl` only if something is there, atomically. True
    /// when it stored.
    async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<bool>;

    /// Removes `key`; a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<()>;

    /// True if [`compare_and_swap`](Self::compare_and_swap) is implemented: what
    /// `SESSION_CONFLICTS=detect` needs.
    fn supports_compare_and_swap(&self) -> bool {
        false
    }

    /// Stores `value` under `key` for `ttl` only if the entry there is still `expected`,
    /// atomically: `expected` is the value read, or the version
    /// [`get_versioned`](Self::get_versioned) returned with it.
    ///
    /// # Errors
    /// A backend failure; the default implementation returns
    /// [`Error::Configuration`](session_core::Error::Configuration).
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Swap> {
        let _ = (key, expected, value, ttl);
        Err(session_core::Error::config(
            "this cache cannot compare and swap; unset SESSION_CONFLICTS",
        ))
    }

    /// True when the set operations ([`set_add`](Self::set_add), ...) work: Redis; they
    /// keep the per-user index of sessions.
    fn has_sets(&self) -> bool {
        false
    }

    /// Adds `member` to the set under `key`, which lives at least `ttl` from now.
    ///
    /// # Errors
    /// A backend failure, or a configuration error from a cache without sets.
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<()> {
        let _ = (key, member, ttl);
        Err(no_sets())
    }

    /// The members of the set under `key` (none when there is no set).
    ///
    /// # Errors
    /// As [`set_add`](Self::set_add).
    async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        let _ = key;
        Err(no_sets())
    }

    /// Removes `member` from the set under `key`.
    ///
    /// # Errors
    /// As [`set_add`](Self::set_add).
    async fn set_remove(&self, key: &str, member: &str) -> Result<()> {
        let _ = (key, member);
        Err(no_sets())
    }

    /// True when [`scan`](Self::scan) works: the cache can list its keys (Redis, the
    /// in-process cache; not memcached, nor Redis Cluster).
    fn can_scan(&self) -> bool {
        false
    }

    /// About `count` keys starting with `prefix`, from `cursor` (`None`: the beginning),
    /// and the cursor of the rest (`None`: the end). A key may come twice.
    ///
    /// # Errors
    /// A backend failure, or a configuration error from a cache that cannot list its keys.
    async fn scan(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        count: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        let _ = (prefix, cursor, count);
        Err(session_core::Error::config(
            "this cache cannot list its keys: sessions can be listed and copied from db, file, Redis (not Cluster) and in-process engines",
        ))
    }
}

/// How a [`Cache::compare_and_swap`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// The value was still the expected one and is now the new one.
    Swapped,
    /// Another value is there; nothing was written.
    Changed,
    /// Nothing is there; nothing was written.
    Missing,
}

fn no_sets() -> session_core::Error {
    session_core::Error::config(
        "this cache keeps no sets: the per-user index of sessions needs Redis",
    )
}

/// A call's boxed future, as `#[async_trait]` methods return it.
type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// `set`, `add` and `replace` of [`Cache for Arc<C>`](Cache), forwarded as they are.
macro_rules! forward_writes {
    ($($name:ident -> $out:ty),*) => {$(
        fn $name<'a, 'k, 'v, 'async_trait>(
            &'a self,
            key: &'k str,
            value: &'v str,
            ttl: Duration,
        ) -> Call<'async_trait, $out>
        where
            'a: 'async_trait,
            'k: 'async_trait,
            'v: 'async_trait,
            Self: 'async_trait,
        {
            (**self).$name(key, value, ttl)
        }
    )*};
}

/// The hot calls hand back the inner cache's own boxed future rather than boxing a
/// future that awaits it: one allocation per call instead of two.
#[async_trait]
impl<C: Cache + ?Sized> Cache for Arc<C> {
    fn has_sets(&self) -> bool {
        (**self).has_sets()
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<()> {
        (**self).set_add(key, member, ttl).await
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        (**self).set_members(key).await
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<()> {
        (**self).set_remove(key, member).await
    }

    fn get<'a, 'k, 'async_trait>(&'a self, key: &'k str) -> Call<'async_trait, Option<String>>
    where
        'a: 'async_trait,
        'k: 'async_trait,
        Self: 'async_trait,
    {
        (**self).get(key)
    }

    async fn get_versioned(&self, key: &str) -> Result<Option<(String, String)>> {
        (**self).get_versioned(key).await
    }

    forward_writes!(set -> (), add -> bool, replace -> bool);

    fn delete<'a, 'k, 'async_trait>(&'a self, key: &'k str) -> Call<'async_trait, ()>
    where
        'a: 'async_trait,
        'k: 'async_trait,
        Self: 'async_trait,
    {
        (**self).delete(key)
    }

    fn supports_compare_and_swap(&self) -> bool {
        (**self).supports_compare_and_swap()
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Swap> {
        (**self).compare_and_swap(key, expected, value, ttl).await
    }

    fn can_scan(&self) -> bool {
        (**self).can_scan()
    }

    async fn scan(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        count: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        (**self).scan(prefix, cursor, count).await
    }
}
