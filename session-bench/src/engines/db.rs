//! `session-db` on SQLite (file and in-memory), PostgreSQL and MariaDB, against raw sqlx.

use std::sync::Arc;
use std::time::Duration;

use session_db::{DbConfig, DbStore};

use super::{Opened, Setup, Skip, env_url, redact};
use crate::baselines::sql::SqlRaw;

/// `session-db`'s default pool: the engine and the raw client both get it.
const MAX_CONNECTIONS: u32 = 10;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn sqlite_file(setup: Setup) -> Result<Opened, Skip> {
    let path = setup.work_dir.join("bench.sqlite3");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    open(&setup, &url, true).await
}

pub async fn sqlite_memory(setup: Setup) -> Result<Opened, Skip> {
    open(&setup, "sqlite::memory:", false).await
}

/// The PostgreSQL URL: `PG_URL`, or the test services' default.
pub fn postgres_url() -> String {
    env_url("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
}

/// The MariaDB URL: `MYSQL_URL`, or the test services' default.
pub fn mariadb_url() -> String {
    env_url("MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
}

pub async fn postgres(setup: Setup) -> Result<Opened, Skip> {
    let url = postgres_url();
    open(&setup, &url, true).await
}

pub async fn mariadb(setup: Setup) -> Result<Opened, Skip> {
    let url = mariadb_url();
    open(&setup, &url, true).await
}

/// The engine on `url` in the run's own table, and a raw client on the same table when
/// `shared` (a private in-memory database cannot be shared: the raw client gets its own).
async fn open(setup: &Setup, url: &str, shared: bool) -> Result<Opened, Skip> {
    let (store, raw) = open_parts(setup, url, shared).await?;
    let teardown = teardown(store.clone(), raw.clone());
    Ok(Opened {
        store: Arc::new(store),
        raw: Some(Arc::new(raw)),
        teardown,
    })
}

/// The engine and its raw client, for engines built on top of a database.
pub async fn open_parts(setup: &Setup, url: &str, shared: bool) -> Result<(DbStore, SqlRaw), Skip> {
    let skip = |e: session_core::Error| Skip(format!("{}: {e}", redact(url)));
    let table = setup.table();
    let config = DbConfig::new(url)
        .table(table.clone())
        .map_err(skip)?
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT);
    let store = DbStore::open(config.clone(), setup.ctx.clone())
        .await
        .map_err(skip)?;
    store.migrate().await.map_err(skip)?;
    let raw = if shared {
        SqlRaw::open(&config)
    } else {
        SqlRaw::open(
            &DbConfig::new("sqlite::memory:")
                .table(table)
                .map_err(skip)?
                .max_connections(MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT),
        )
    }
    .map_err(skip)?;
    if !shared {
        raw.create_table().await.map_err(skip)?;
    }
    Ok((store, raw))
}

/// Drops the table and closes the pools.
pub fn teardown(store: DbStore, raw: SqlRaw) -> super::Teardown {
    Box::new(move || {
        Box::pin(async move {
            let dropped = raw.drop_table().await;
            store.close().await;
            dropped
        })
    })
}
