//! `session-cachedb` pairs (a cache in front of a database), each against its cache engine
//! alone: what the write-through costs on top of the cache.

use std::sync::Arc;

use session_cache::{Cache, CacheStore, MemoryCache};
use session_cachedb::CachedDbStore;
use session_core::SessionStore;

use super::cache::{memcached_parts, redis_parts, redis_teardown, redis_url};
use super::db::{self, open_parts};
use super::{MEMORY_CACHE_BYTES, Opened, Setup, Skip, Teardown};
use crate::baselines::store::StoreRaw;

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

/// `alone`'s cache in front of the database at `url`, measured against `alone`, the cache
/// engine by itself; `cache_teardown` removes what the cache holds.
async fn over_database<C: Cache + Clone + 'static>(
    setup: &Setup,
    alone: CacheStore<C>,
    baseline: &str,
    url: &str,
    cache_teardown: Option<Teardown>,
) -> Result<Opened, Skip> {
    let (store, raw) = open_parts(setup, url, true).await?;
    let cachedb = CachedDbStore::new(
        alone.cache().clone(),
        Arc::new(store.clone()),
        setup.ctx.clone(),
    )
    .with_prefix(format!("{}cdb:", setup.prefix()))
    .map_err(skip)?;
    let teardown = match cache_teardown {
        Some(cache) => both(db::teardown(store, raw), cache),
        None => db::teardown(store, raw),
    };
    Ok(opened(
        setup,
        Arc::new(cachedb),
        Arc::new(alone),
        baseline,
        teardown,
    ))
}

pub async fn redis_postgres(setup: Setup) -> Result<Opened, Skip> {
    let (alone, _) = redis_parts(&setup).await?;
    let teardown = redis_teardown(vec![redis_url()], setup.prefix());
    over_database(&setup, alone, "redis", &db::postgres_url(), Some(teardown)).await
}

/// Memcached cannot list keys: what the run leaves there expires by itself.
pub async fn memcached_mariadb(setup: Setup) -> Result<Opened, Skip> {
    let (alone, _) = memcached_parts(&setup).await?;
    over_database(&setup, alone, "memcached", &db::mariadb_url(), None).await
}
