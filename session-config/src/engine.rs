//! Builds the configured engine.

use std::sync::Arc;

use session_cache::{Cache, CacheStore, MemoryStore, Timeouts};
use session_cachedb::CachedDbStore;
use session_cookie::{CookieMode, CookieStore};
use session_core::{Metered, Result, SessionManager, SessionStore, StoreContext};
use session_db::{DbConfig, DbStore};
use session_file::FileStore;

use crate::config::{Config, EngineKind};

/// The configured store with its settings (behind hashed keys with `SESSION_HASH_KEYS`).
pub async fn manager(config: &Config) -> Result<SessionManager> {
    SessionManager::connect(config.context()?, async |ctx| store(config, &ctx).await).await
}

/// The configured store, ready to use (the database table is created if missing), behind
/// [`Metered`] (counters and latencies through the `metrics` facade, labelled with the
/// engine's name; free without a recorder installed, and registered with the recorder
/// installed when this runs). Keys reach it as given, hashed or not ([`manager`] hashes
/// them).
pub async fn store(config: &Config, ctx: &StoreContext) -> Result<Arc<dyn SessionStore>> {
    let engine = engine(config, ctx).await?;
    Ok(Arc::new(Metered::new(engine, config.engine.name())))
}

async fn engine(config: &Config, ctx: &StoreContext) -> Result<Arc<dyn SessionStore>> {
    Ok(match config.engine {
        EngineKind::Db => Arc::new(database(config, ctx).await?),
        EngineKind::File => Arc::new(FileStore::new(config.file_path.clone(), ctx.clone())?),
        EngineKind::Cache if config.cache_url == "memory" => {
            Arc::new(MemoryStore::new(ctx.clone()))
        }
        EngineKind::Cache => {
            let store = CacheStore::new(cache(config).await?, ctx.clone());
            Arc::new(match &config.cache_key_prefix {
                Some(prefix) => store.with_prefix(prefix)?,
                None => store,
            })
        }
        EngineKind::CachedDb => {
            let store = CachedDbStore::new(
                cache(config).await?,
                Arc::new(database(config, ctx).await?),
                ctx.clone(),
            );
            Arc::new(match &config.cache_key_prefix {
                Some(prefix) => store.with_prefix(prefix)?,
                None => store,
            })
        }
        EngineKind::SignedCookies => {
            let mode = if config.cookie_encrypted {
                CookieMode::Encrypted
            } else {
                CookieMode::Signed
            };
            Arc::new(CookieStore::builder(ctx.clone()).mode(mode).build()?)
        }
    })
}

async fn cache(config: &Config) -> Result<Arc<dyn Cache>> {
    session_cache::connect(&config.cache_url, Timeouts::default()).await
}

async fn database(config: &Config, ctx: &StoreContext) -> Result<DbStore> {
    let store = DbStore::open(
        DbConfig::new(config.database_url())
            .table(&config.db_table)?
            .max_connections(config.db_max_connections)
            .batch_saves(config.db_batch_saves),
        ctx.clone(),
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}
