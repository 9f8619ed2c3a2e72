//! `session-cache` on the in-process cache, Redis, Redis Cluster and Memcached, against
//! the same caches' raw clients.

use std::sync::Arc;

use session_cache::{
    Cache, CacheStore, MemcachedCache, MemoryCache, MemoryStore, RedisCache, Timeouts,
};
use session_core::{SessionKey, SessionStore};

use super::{BENCH_TTL, MEMORY_CACHE_BYTES, Opened, Setup, Skip, env_url, redact};
use crate::baselines::kv::{Kv, KvRaw, MemoryKv};
use crate::baselines::memcached::MemcachedKv;
use crate::baselines::redis::{RedisKv, delete_prefixed};

/// The Redis URL: `REDIS_URL`, or the test services' default.
pub fn redis_url() -> String {
    env_url("REDIS_URL", "redis://127.0.0.1:6379")
}

/// The Redis Cluster URLs: `REDIS_CLUSTER_URLS` (comma-separated), or the test services'.
pub fn redis_cluster_urls() -> Vec<String> {
    split(&env_url(
        "REDIS_CLUSTER_URLS",
        "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003",
    ))
}

/// The Memcached servers: `MEMCACHED_URLS` (comma-separated), or the test services'.
pub fn memcached_urls() -> Vec<String> {
    split(&env_url(
        "MEMCACHED_URLS",
        "memcache://127.0.0.1:11211,memcache://127.0.0.1:11212",
    ))
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Fails unless the store answers (a lazily connecting client says nothing until used).
pub async fn probe(store: &dyn SessionStore, server: &str) -> Result<(), Skip> {
    store
        .exists(&SessionKey::generate())
        .await
        .map(drop)
        .map_err(|e| Skip(format!("{server}: {e}")))
}

fn skip(server: &str) -> impl Fn(session_core::Error) -> Skip + '_ {
    move |e| Skip(format!("{server}: {e}"))
}

/// moka used directly, the in-process engines' baseline.
fn moka_raw(setup: &Setup) -> KvRaw {
    KvRaw::new(
        "moka",
        Arc::new(MemoryKv(MemoryCache::with_capacity(MEMORY_CACHE_BYTES))),
        &setup.prefix(),
        BENCH_TTL,
    )
}

/// The in-process engine (sessions kept decoded) against moka used directly.
pub async fn memory_store(setup: Setup) -> Result<Opened, Skip> {
    let store = MemoryStore::with_capacity(MEMORY_CACHE_BYTES, setup.ctx.clone());
    Ok(Opened::new(
        Arc::new(store),
        Some(Arc::new(moka_raw(&setup))),
    ))
}

/// A [`CacheStore`] over the in-process string cache (signed values) against moka used
/// directly.
pub async fn memory(setup: Setup) -> Result<Opened, Skip> {
    let store = CacheStore::new(
        MemoryCache::with_capacity(MEMORY_CACHE_BYTES),
        setup.ctx.clone(),
    )
    .with_prefix(setup.prefix())
    .map_err(skip("memory"))?;
    Ok(Opened::new(
        Arc::new(store),
        Some(Arc::new(moka_raw(&setup))),
    ))
}

/// A session store over `cache` under the run's prefix, checked to answer, and the raw
/// client `kv` on the same server(s) under a prefix of its own.
async fn parts<C: Cache + 'static>(
    setup: &Setup,
    server: &str,
    cache: C,
    raw_name: &str,
    kv: Arc<dyn Kv>,
) -> Result<(CacheStore<C>, KvRaw), Skip> {
    let store = CacheStore::new(cache, setup.ctx.clone())
        .with_prefix(setup.prefix())
        .map_err(skip(server))?;
    probe(&store, server).await?;
    let raw = KvRaw::new(raw_name, kv, &format!("{}raw:", setup.prefix()), BENCH_TTL);
    Ok((store, raw))
}

/// A Redis session store under the run's prefix, and the raw client's.
pub async fn redis_parts(setup: &Setup) -> Result<(CacheStore<RedisCache>, KvRaw), Skip> {
    let url = redis_url();
    let server = redact(&url);
    let cache = RedisCache::connect(&url, Timeouts::default()).map_err(skip(&server))?;
    let kv = RedisKv::single(&url, Timeouts::default()).map_err(skip(&server))?;
    parts(setup, &server, cache, "redis", Arc::new(kv)).await
}

/// Deletes the run's keys from the Redis server(s) at `urls`.
pub fn redis_teardown(urls: Vec<String>, prefix: String) -> super::Teardown {
    Box::new(move || {
        Box::pin(async move {
            for url in &urls {
                delete_prefixed(url, &prefix).await?;
            }
            Ok(())
        })
    })
}

pub async fn redis(setup: Setup) -> Result<Opened, Skip> {
    let (store, raw) = redis_parts(&setup).await?;
    Ok(Opened {
        store: Arc::new(store),
        raw: Some(Arc::new(raw)),
        teardown: redis_teardown(vec![redis_url()], setup.prefix()),
    })
}

pub async fn redis_cluster(setup: Setup) -> Result<Opened, Skip> {
    let urls = redis_cluster_urls();
    let server = urls.iter().map(|u| redact(u)).collect::<Vec<_>>().join(",");
    let cache = RedisCache::connect_cluster(&urls, Timeouts::default())
        .await
        .map_err(skip(&server))?;
    let kv = RedisKv::cluster(&urls, Timeouts::default())
        .await
        .map_err(skip(&server))?;
    let (store, raw) = parts(&setup, &server, cache, "redis-cluster", Arc::new(kv)).await?;
    Ok(Opened {
        store: Arc::new(store),
        raw: Some(Arc::new(raw)),
        teardown: redis_teardown(urls, setup.prefix()),
    })
}

/// A Memcached session store under the run's prefix, and the raw client's. Memcached
/// cannot list keys: what the run leaves expires after [`BENCH_TTL`].
pub async fn memcached_parts(setup: &Setup) -> Result<(CacheStore<MemcachedCache>, KvRaw), Skip> {
    let urls = memcached_urls();
    let server = urls.join(",");
    let cache = MemcachedCache::connect(&urls, Timeouts::default())
        .await
        .map_err(skip(&server))?;
    let kv = MemcachedKv::connect(&urls, Timeouts::default())
        .await
        .map_err(skip(&server))?;
    parts(setup, &server, cache, "memcached", Arc::new(kv)).await
}

pub async fn memcached(setup: Setup) -> Result<Opened, Skip> {
    let (store, raw) = memcached_parts(&setup).await?;
    Ok(Opened::new(Arc::new(store), Some(Arc::new(raw))))
}
