//! The conformance suite on every cache: in-process, Redis, Redis Cluster and two
//! memcached servers. Each case gets its own key prefix.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use session_cache::{CacheStore, MemcachedCache, MemoryCache, MemoryStore, RedisCache, Timeouts};
use session_conformance::Env;
use session_core::{HashedKeys, SessionStore};

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

session_conformance::suite!(
    in_process,
    [server, logout_wins, conflicts, clock, inventory],
    |env: Env| async move { store(memory(), &env) }
);

/// The decoded in-process store; a case reopening it (same namespace) sees the same
/// sessions.
fn memory_store(env: &Env) -> MemoryStore {
    static STORES: OnceLock<Mutex<HashMap<String, MemoryStore>>> = OnceLock::new();
    let mut stores = STORES.get_or_init(Default::default).lock().unwrap();
    match stores.get(env.namespace()) {
        Some(store) => store.reopen(env.context()),
        None => {
            let store = MemoryStore::new(env.context());
            stores.insert(env.namespace().to_owned(), store.clone());
            store
        }
    }
}

session_conformance::suite!(
    memory_store_decoded,
    [
        server,
        logout_wins,
        conflicts,
        clock,
        inventory,
        inventory_clock,
        users
    ],
    |env: Env| async move {
        Ok::<_, session_core::Error>(Arc::new(memory_store(&env)) as Arc<dyn SessionStore>)
    }
);

session_conformance::suite!(
    redis,
    [server, logout_wins, conflicts, clock, inventory, users],
    |env: Env| async move {
        store(
            RedisCache::connect(&common::redis_url(), Timeouts::default())?,
            &env,
        )
    }
);

session_conformance::suite!(
    redis_hashed_keys,
    [server, logout_wins, conflicts, clock, users],
    |env: Env| async move {
        let redis = store(
            RedisCache::connect(&common::redis_url(), Timeouts::default())?,
            &env,
        )?;
        Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(HashedKeys::new(
            redis,
            &env.context(),
        )))
    }
);

session_conformance::suite!(
    redis_cluster,
    [server, logout_wins, conflicts, clock, users],
    |env: Env| async move {
        let cache =
            RedisCache::connect_cluster(common::cluster_urls(), Timeouts::default()).await?;
        store(cache, &env)
    }
);

session_conformance::suite!(
    memcached,
    [server, logout_wins, conflicts, clock],
    |env: Env| async move {
        let urls = common::memcached_urls();
        assert!(urls.len() >= 2, "MEMCACHED_URLS should name two servers");
        store(
            MemcachedCache::connect(urls, Timeouts::default()).await?,
            &env,
        )
    }
);

session_conformance::suite!(
    memcached_hashed_keys,
    [server, logout_wins, conflicts, clock],
    |env: Env| async move {
        let memcached = store(
            MemcachedCache::connect(common::memcached_urls(), Timeouts::default()).await?,
            &env,
        )?;
        Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(HashedKeys::new(
            memcached,
            &env.context(),
        )))
    }
);
