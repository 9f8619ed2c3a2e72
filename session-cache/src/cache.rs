//! [`Cache`]: the five operations a session store needs from a cache.

use std::fmt::Debug;
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

    /// Stores `value` under `key` for `ttl` only if the value there is still `expected`,
    /// atomically.
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

#[async_trait]
impl<C: Cache + ?Sized> Cache for Arc<C> {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        (**self).get(key).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        (**self).set(key, value, ttl).await
    }

    async fn add(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        (**self).add(key, value, ttl).await
    }

    async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        (**self).replace(key, value, ttl).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        (**self).delete(key).await
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
}
