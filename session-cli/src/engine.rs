//! Builds the configured engine.

use std::sync::Arc;

use session_core::{Error, Result, SessionManager, SessionStore, StoreContext};
use session_db::{DbConfig, DbStore};
use session_file::FileStore;

use crate::config::{Config, EngineKind};

/// The configured store with its settings.
pub async fn manager(config: &Config) -> Result<SessionManager> {
    let ctx = StoreContext::new(config.settings()?);
    let store = store(config, &ctx).await?;
    Ok(SessionManager::new(store, ctx))
}

/// The configured store, ready to use (the database table is created if missing).
pub async fn store(config: &Config, ctx: &StoreContext) -> Result<Arc<dyn SessionStore>> {
    match config.engine {
        EngineKind::Db => Ok(Arc::new(database(config, ctx).await?)),
        EngineKind::File => Ok(Arc::new(FileStore::new(
            config.file_path.clone(),
            ctx.clone(),
        )?)),
        other => Err(Error::config(format!(
            "engine {other:?} is not available yet"
        ))),
    }
}

async fn database(config: &Config, ctx: &StoreContext) -> Result<DbStore> {
    let store = DbStore::open(
        DbConfig::new(config.database_url()).table(&config.db_table)?,
        ctx.clone(),
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}
