//! [`connect`]: a cache from a `CACHE_URL`, for applications configured by environment.

use std::sync::Arc;

use session_core::{Error, Result};

use crate::{Cache, Timeouts};

/// The cache a `CACHE_URL` names:
///
/// | URL | cache | feature |
/// |---|---|---|
/// | `memory` | in-process ([`MemoryCache`](crate::MemoryCache)) | `memory` |
/// | `redis://host:port/db` | one Redis server | `redis` |
/// | `redis+cluster://host:port,host:port` | a Redis Cluster, through any of its nodes | `redis` |
/// | `memcache://host:port,host:port` | one or more memcached servers | `memcached` |
///
/// A URL whose feature is not compiled in, or that names nothing above, is a
/// configuration error.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> session_core::Result<()> {
/// let cache = session_cache::connect("memory", session_cache::Timeouts::default()).await?;
/// let store = session_cache::CacheStore::new(
///     cache,
///     session_core::StoreContext::new(session_core::SessionSettings::new("secret")?),
/// );
/// assert!(session_cache::connect("ftp://nope", Default::default()).await.is_err());
/// # Ok(()) }
/// ```
pub async fn connect(url: &str, timeouts: Timeouts) -> Result<Arc<dyn Cache>> {
    let (scheme, rest) = url.split_once("://").unwrap_or((url, ""));
    match scheme {
        "memory" => memory(),
        "redis" | "rediss" => redis(url, timeouts),
        "redis+cluster" => redis_cluster(rest, timeouts).await,
        "memcache" | "memcached" => memcached(rest, timeouts).await,
        _ => Err(Error::config(format!(
            "unknown cache URL {url:?}: use memory, redis://, redis+cluster:// or memcache://"
        ))),
    }
}

#[cfg(any(feature = "redis", feature = "memcached"))]
fn hosts(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|h| !h.is_empty())
}

#[cfg(not(all(feature = "memory", feature = "redis", feature = "memcached")))]
fn missing(feature: &str) -> Result<Arc<dyn Cache>> {
    Err(Error::config(format!(
        "this build of session-cache has no `{feature}` feature"
    )))
}

#[cfg(feature = "memory")]
fn memory() -> Result<Arc<dyn Cache>> {
    Ok(Arc::new(crate::MemoryCache::default()))
}

#[cfg(not(feature = "memory"))]
fn memory() -> Result<Arc<dyn Cache>> {
    missing("memory")
}

#[cfg(feature = "redis")]
fn redis(url: &str, timeouts: Timeouts) -> Result<Arc<dyn Cache>> {
    Ok(Arc::new(crate::RedisCache::connect(url, timeouts)?))
}

#[cfg(feature = "redis")]
async fn redis_cluster(nodes: &str, timeouts: Timeouts) -> Result<Arc<dyn Cache>> {
    let urls: Vec<String> = hosts(nodes).map(|h| format!("redis://{h}")).collect();
    Ok(Arc::new(
        crate::RedisCache::connect_cluster(urls, timeouts).await?,
    ))
}

#[cfg(not(feature = "redis"))]
fn redis(_: &str, _: Timeouts) -> Result<Arc<dyn Cache>> {
    missing("redis")
}

#[cfg(not(feature = "redis"))]
async fn redis_cluster(_: &str, _: Timeouts) -> Result<Arc<dyn Cache>> {
    missing("redis")
}

#[cfg(feature = "memcached")]
async fn memcached(servers: &str, timeouts: Timeouts) -> Result<Arc<dyn Cache>> {
    Ok(Arc::new(
        crate::MemcachedCache::connect(hosts(servers), timeouts).await?,
    ))
}

#[cfg(not(feature = "memcached"))]
async fn memcached(_: &str, _: Timeouts) -> Result<Arc<dyn Cache>> {
    missing("memcached")
}
