//! Connection pools, one kind per driver, and the macro that runs one code path on any.

use std::str::FromStr;

use session_core::{Error, Result};

use crate::config::DbConfig;
use crate::dialect::Dialect;
use crate::server_timeouts;

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("session-db needs at least one of the features sqlite, postgres, mysql");

/// The connection pools of one store (exported only with the `bench-internals` feature, for
/// the `session-bench` raw baseline). SQLite has one writer connection (SQLite commits one
/// write at a time; queueing is cheaper than sleeping on the file lock, and the store
/// commits the saves that queued together) and a reader pool (WAL lets readers run beside
/// the writer). The servers use one pool for both.
#[derive(Debug, Clone)]
pub enum Pools {
    /// SQLite: its own writer and reader pools on a file, one shared connection in memory.
    #[cfg(feature = "sqlite")]
    Sqlite {
        /// For writes.
        writer: sqlx::SqlitePool,
        /// For reads.
        reader: sqlx::SqlitePool,
    },
    /// PostgreSQL: one pool in both roles.
    #[cfg(feature = "postgres")]
    Postgres {
        /// For writes.
        writer: sqlx::PgPool,
        /// For reads.
        reader: sqlx::PgPool,
    },
    /// MySQL/MariaDB: one pool in both roles.
    #[cfg(feature = "mysql")]
    MySql {
        /// For writes.
        writer: sqlx::MySqlPool,
        /// For reads.
        reader: sqlx::MySqlPool,
    },
}

/// Runs `$body` with `$pool` bound to the `writer` or `reader` pool and `$to_db` /
/// `$from_db` bound to the dialect's `expire_date` conversions.
macro_rules! on_pool {
    ($pools:expr, $role:ident, |$pool:ident, $to_db:ident, $from_db:ident| $body:expr) => {
        match $pools {
            #[cfg(feature = "sqlite")]
            $crate::pool::Pools::Sqlite { $role: $pool, .. } => {
                #[allow(unused_imports)]
                use $crate::dialect::time::sqlite::{from_db as $from_db, to_db as $to_db};
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::pool::Pools::Postgres { $role: $pool, .. } => {
                #[allow(unused_imports)]
                use $crate::dialect::time::postgres::{from_db as $from_db, to_db as $to_db};
                $body
            }
            #[cfg(feature = "mysql")]
            $crate::pool::Pools::MySql { $role: $pool, .. } => {
                #[allow(unused_imports)]
                use $crate::dialect::time::mysql::{from_db as $from_db, to_db as $to_db};
                $body
            }
        }
    };
}
pub(crate) use on_pool;

fn driver_missing(dialect: Dialect) -> Error {
    Error::config(format!(
        "session-db was built without the cargo feature for {dialect:?}"
    ))
}

fn bad_url(error: sqlx::Error) -> Error {
    Error::config(format!("bad database URL: {error}"))
}

impl Pools {
    /// Pools for `config`. Nothing connects yet: a server that is down makes the first
    /// operation fail after `acquire_timeout`, and a later one succeed once it is back.
    /// Every connection carries the deadline as the server's own statement and lock
    /// timeouts (SQLite: its busy timeout).
    pub fn open(config: &DbConfig) -> Result<Self> {
        let dialect = Dialect::of_url(&config.url)?;
        match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => Self::sqlite(config),
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let mut options =
                    sqlx::postgres::PgConnectOptions::from_str(&config.url).map_err(bad_url)?;
                if config.server_timeouts {
                    options = options.options(server_timeouts::postgres(config.deadline));
                }
                let pool = server_pool::<sqlx::Postgres>(config).connect_lazy_with(options);
                Ok(Pools::Postgres {
                    writer: pool.clone(),
                    reader: pool,
                })
            }
            #[cfg(feature = "mysql")]
            Dialect::MySql => {
                let url = config.url.replacen("mariadb://", "mysql://", 1);
                let options = sqlx::mysql::MySqlConnectOptions::from_str(&url).map_err(bad_url)?;
                let deadline = config.deadline;
                let tell_server = config.server_timeouts;
                let pool = server_pool::<sqlx::MySql>(config)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            if !tell_server {
                                return Ok(());
                            }
                            let version: String = sqlx::query_scalar("SELECT VERSION()")
                                .fetch_one(&mut *conn)
                                .await?;
                            let set = server_timeouts::mysql(deadline, &version);
                            sqlx::query(sqlx::AssertSqlSafe(set))
                                .execute(&mut *conn)
                                .await
                                .map(drop)
                        })
                    })
                    .connect_lazy_with(options);
                Ok(Pools::MySql {
                    writer: pool.clone(),
                    reader: pool,
                })
            }
            #[allow(unreachable_patterns)]
            other => Err(driver_missing(other)),
        }
    }

    #[cfg(feature = "sqlite")]
    fn sqlite(config: &DbConfig) -> Result<Self> {
        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };
        let in_memory = config.url.contains(":memory:") || config.url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(&config.url)
            .map_err(bad_url)?
            .create_if_missing(true)
            .busy_timeout(config.deadline);
        let pool = |max: u32| {
            SqlitePoolOptions::new()
                .max_connections(max)
                .acquire_timeout(config.acquire_timeout)
        };
        if in_memory {
            // An in-memory database lives as long as a connection to it: keep exactly one.
            let pool = pool(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_lazy_with(options);
            return Ok(Pools::Sqlite {
                writer: pool.clone(),
                reader: pool,
            });
        }
        // WAL with synchronous=NORMAL: readers never block the writer, and a commit does not
        // wait for fsync (the database stays consistent; a power cut may lose the last
        // commits).
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let writer = pool(1).connect_lazy_with(options.clone());
        let reader = pool(config.max_connections.max(1)).connect_lazy_with(options);
        Ok(Pools::Sqlite { writer, reader })
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn server_pool<DB: sqlx::Database>(config: &DbConfig) -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    fn sqlite_pool_sizes(config: DbConfig) -> (u32, u32) {
        match Pools::open(&config).unwrap() {
            Pools::Sqlite { writer, reader } => (
                writer.options().get_max_connections(),
                reader.options().get_max_connections(),
            ),
            #[allow(unreachable_patterns)]
            _ => unreachable!("a sqlite URL opens SQLite pools"),
        }
    }

    #[tokio::test]
    async fn a_sqlite_file_has_one_writer_and_the_readers_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.sqlite3").display());
        assert_eq!(sqlite_pool_sizes(DbConfig::new(&url)), (1, 10));
        assert_eq!(
            sqlite_pool_sizes(DbConfig::new(&url).max_connections(3)),
            (1, 3)
        );
        assert_eq!(
            sqlite_pool_sizes(DbConfig::new(&url).max_connections(0)),
            (1, 1)
        );
        let memory = DbConfig::new("sqlite::memory:").max_connections(4);
        assert_eq!(
            sqlite_pool_sizes(memory),
            (1, 1),
            "one connection keeps it alive"
        );
    }
}
