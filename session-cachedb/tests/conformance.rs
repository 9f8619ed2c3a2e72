//! The conformance suite on four pairings: Redis + PostgreSQL, in-process + SQLite,
//! Memcached + MariaDB, in-process + files. Each case gets its own key prefix and its own
//! table or directory.
//!
//! Not in the `logout_wins` group: a save's or a load's cache fill can land after a
//! concurrent delete cleared the cache, and the copy lives until it expires there.

use std::sync::{Arc, OnceLock};

use session_cache::{Cache, MemcachedCache, MemoryCache, RedisCache, Timeouts};
use session_cachedb::CachedDbStore;
use session_conformance::Env;
use session_core::{Error, SessionStore};
use session_db::{DbConfig, DbStore};
use session_file::FileStore;
use session_test_support::services;

/// One in-process cache for the whole binary, so a reopened store sees the same entries.
fn memory() -> MemoryCache {
    static CACHE: OnceLock<MemoryCache> = OnceLock::new();
    CACHE.get_or_init(MemoryCache::default).clone()
}

async fn db(url: String, env: &Env) -> Result<Arc<dyn SessionStore>, Error> {
    // 1,000 concurrent creates queue for the pool; on a loaded machine that takes longer
    // than the default acquire timeout, which is about outages, not this.
    let config = DbConfig::new(url)
        .table(env.namespace())?
        .acquire_timeout(std::time::Duration::from_secs(30));
    let store = DbStore::open(config, env.context()).await?;
    let dropped = store.clone();
    env.on_cleanup(async move {
        if let Err(e) = dropped.drop_table().await {
            eprintln!("could not drop the test table: {e}");
        }
    });
    store.migrate().await?;
    Ok(Arc::new(store))
}

fn cached<C: Cache + 'static>(
    cache: C,
    store: Arc<dyn SessionStore>,
    env: &Env,
) -> Result<Arc<dyn SessionStore>, Error> {
    let prefix = format!("{}:{}:", session_cachedb::DEFAULT_PREFIX, env.namespace());
    Ok(Arc::new(
        CachedDbStore::new(cache, store, env.context()).with_prefix(prefix)?,
    ))
}

session_conformance::suite!(
    redis_postgres,
    [server, conflicts, clock, clear_expired, users],
    |env: Env| async move {
        let redis = RedisCache::connect(&services::redis_url(), Timeouts::default())?;
        let pg = db(services::pg_url(), &env).await?;
        cached(redis, pg, &env)
    }
);

session_conformance::suite!(
    memory_sqlite,
    [
        server,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock,
        users
    ],
    |env: Env| async move {
        let path = env.temp_dir().join("sessions.sqlite3");
        let sqlite = db(format!("sqlite://{}?mode=rwc", path.display()), &env).await?;
        cached(memory(), sqlite, &env)
    }
);

session_conformance::suite!(
    memcached_mariadb,
    [server, conflicts, clock, clear_expired],
    |env: Env| async move {
        let memcached =
            MemcachedCache::connect(services::memcached_urls(), Timeouts::default()).await?;
        let mariadb = db(services::mysql_url(), &env).await?;
        cached(memcached, mariadb, &env)
    }
);

session_conformance::suite!(
    memory_file,
    [
        server,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock
    ],
    |env: Env| async move {
        let files = FileStore::new(Some(env.temp_dir().to_path_buf()), env.context())?;
        cached(memory(), Arc::new(files), &env)
    }
);
