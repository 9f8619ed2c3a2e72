//! The conformance suite on every cache: in-process, Redis, Redis Cluster and two
//! memcached servers. Each case gets its own key prefix.

mod common;

use std::sync::{Arc, OnceLock};

use conformance::Env;
use session_cache::{CacheStore, MemcachedCache, MemoryCache, RedisCache, Timeouts};
use session_core::SessionStore;

/// One in-process cache for the whole binary: a case reopening its store (same prefix)
/// sees the same entries.
fn memory() -> MemoryCache {
    static CACHE: OnceLock<MemoryCache> = OnceLock::new();
    CACHE.get_or_init(MemoryCache::default).clone()
}

fn store<C: session_cache::Cache + 'static>(
    cache: C,
    env: &Env,
) -> Result<Arc<dyn SessionStore>, session_core::Error> {
    Ok(Arc::new(
        CacheStore::new(cache, env.context()).with_prefix(env.namespace())?,
    ))
}

conformance::suite!(
    in_process,
    [server, logout_wins, clock],
    |env: Env| async move { store(memory(), &env) }
);

conformance::suite!(redis, [server, logout_wins, clock], |env: Env| async move {
    store(
        RedisCache::connect(&common::redis_url(), Timeouts::default())?,
        &env,
    )
});

conformance::suite!(
    redis_cluster,
    [server, logout_wins, clock],
    |env: Env| async move {
        let cache =
            RedisCache::connect_cluster(common::cluster_urls(), Timeouts::default()).await?;
        store(cache, &env)
    }
);

conformance::suite!(
    memcached,
    [server, logout_wins, clock],
    |env: Env| async move {
        let urls = common::memcached_urls();
        assert!(urls.len() >= 2, "MEMCACHED_URLS should name two servers");
        store(
            MemcachedCache::connect(urls, Timeouts::default()).await?,
            &env,
        )
    }
);
