//! `session-cachedb` pairs (a cache in front of a database), each against its cache engine
//! alone: what the write-through costs on top of the cache.

use std::sync::Arc;

use session_cache::{CacheStore, MemoryCache};
use session_cachedb::CachedDbStore;
use session_core::SessionStore;

use super::cache::{memcached_parts, redis_parts, redis_teardown, redis_url};
use super::db::{self, open_parts};
use super::{MEMORY_CACHE_BYTES, Opened, Setup, Skip, Teardown};
use crate::bench::baselines::store::StoreRaw;

fn skip(e: session_core::Error) -> Skip {
    Skip(e.to_string())
}

/// Runs `first`, then `second`, failing with the first error.
fn both(first: Teardown, second: Teardown) -> Teardown {
    Box::new(move || {
        Box::pin(async move {
            let a = first().await;
            let b = second().await;
            a.and(b)
        })
    })
}

/// The pair's engine and its baseline: the same kind of cache, alone, under the session
/// layer.
fn opened(
    setup: &Setup,
    cachedb: Arc<dyn SessionStore>,
    cache_alone: Arc<dyn SessionStore>,
    baseline: &str,
    teardown: Teardown,
) -> Opened {
    Opened {
        store: cachedb,
        raw: Some(Arc::new(StoreRaw::new(
            baseline,
            cache_alone,
            setup.ctx.clone(),
        ))),
        teardown,
    }
}

pub async fn memory_sqlite(setup: Setup) -> Result<Opened, Skip> {
    let path = setup.work_dir.join("cachedb.sqlite3");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let (store, raw) = open_parts(&setup, &url, true).await?;
    let prefix = setup.prefix();
    let cachedb = CachedDbStore::new(
        MemoryCache::with_capacity(MEMORY_CACHE_BYTES),
        Arc::new(store.clone()),
        setup.ctx.clone(),
    )
    .with_prefix(prefix.clone())
    .map_err(skip)?;
    let alone = CacheStore::new(
        MemoryCache::with_capacity(MEMORY_CACHE_BYTES),
        setup.ctx.clone(),
    )
    .with_prefix(prefix)
    .map_err(skip)?;
    Ok(opened(
        &setup,
        Arc::new(cachedb),
        Arc::new(alone),
        "memory-cache",
        db::teardown(store, raw),
    ))
}

pub async fn redis_postgres(setup: Setup) -> Result<Opened, Skip> {
    let (alone, _) = redis_parts(&setup).await?;
    let (store, raw) = open_parts(&setup, &db::postgres_url(), true).await?;
    let cachedb = CachedDbStore::new(
        alone.cache().clone(),
        Arc::new(store.clone()),
        setup.ctx.clone(),
    )
    .with_prefix(format!("{}cdb:", setup.prefix()))
    .map_err(skip)?;
    let teardown = both(
        db::teardown(store, raw),
        redis_teardown(vec![redis_url()], setup.prefix()),
    );
    Ok(opened(
        &setup,
        Arc::new(cachedb),
        Arc::new(alone),
        "redis",
        teardown,
    ))
}

pub async fn memcached_mariadb(setup: Setup) -> Result<Opened, Skip> {
    let (alone, _) = memcached_parts(&setup).await?;
    let (store, raw) = open_parts(&setup, &db::mariadb_url(), true).await?;
    let cachedb = CachedDbStore::new(
        alone.cache().clone(),
        Arc::new(store.clone()),
        setup.ctx.clone(),
    )
    .with_prefix(format!("{}cdb:", setup.prefix()))
    .map_err(skip)?;
    Ok(opened(
        &setup,
        Arc::new(cachedb),
        Arc::new(alone),
        "memcached",
        db::teardown(store, raw),
    ))
}
