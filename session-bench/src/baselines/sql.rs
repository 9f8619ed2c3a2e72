//! Raw SQL: `SELECT` / `UPDATE` / `INSERT` / `DELETE` by primary key with sqlx, on pools shaped
//! like `session-db`'s (same driver, pool size, acquire timeout, SQLite pragmas).

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{AssertSqlSafe, Row};

use session_core::{Error, Result, async_trait};
use session_db::{DbConfig, Dialect, Pools};

use crate::baselines::{Raw, RawKeys};
use crate::target::{Payload, Target, wrong_answer};
use crate::workload::Op;

/// Runs `$body` with `$pool` bound to the pool for `$role` (`writer` or `reader`).
macro_rules! on_pool {
    ($pools:expr, $role:ident, |$pool:ident| $body:expr) => {
        match $pools {
            Pools::Sqlite { $role: $pool, .. } => $body,
            Pools::Postgres { $role: $pool, .. } => $body,
            Pools::MySql { $role: $pool, .. } => $body,
        }
    };
}

/// The raw SQL client for one table.
#[derive(Debug, Clone)]
pub struct SqlRaw {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pools: Pools,
    quoted_table: String,
    select: Arc<str>,
    update: Arc<str>,
    insert: Arc<str>,
    delete: Arc<str>,
    keys: RawKeys,
}

fn failed(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| Error::backend(what, e)
}

impl SqlRaw {
    /// A client on the table `config` names, with the pools `session-db` would open for
    /// it. Connects lazily.
    pub fn open(config: &DbConfig) -> Result<Self> {
        let dialect = Dialect::of_url(config.url())?;
        let pools = Pools::open(config)?;
        let table = config.table_name();
        let t = match dialect {
            Dialect::MySql => format!("`{table}`"),
            _ => format!("\"{table}\""),
        };
        let p = |n: usize| match dialect {
            Dialect::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        };
        let arc = |s: String| Arc::<str>::from(s);
        Ok(SqlRaw {
            inner: Arc::new(Inner {
                pools,
                quoted_table: t.clone(),
                select: arc(format!(
                    "SELECT session_data FROM {t} WHERE session_key = {}",
                    p(1)
                )),
                update: arc(format!(
                    "UPDATE {t} SET session_data = {}, expire_date = {} WHERE session_key = {}",
                    p(1),
                    p(2),
                    p(3)
                )),
                insert: arc(format!(
                    "INSERT INTO {t} (session_key, session_data, expire_date) VALUES ({}, {}, {})",
                    p(1),
                    p(2),
                    p(3)
                )),
                delete: arc(format!("DELETE FROM {t} WHERE session_key = {}", p(1))),
                keys: RawKeys,
            }),
        })
    }

    /// Creates the table with Django's columns if it is missing (for a private in-memory
    /// SQLite database, which no engine migrates).
    pub async fn create_table(&self) -> Result<()> {
        let t = &self.inner.quoted_table;
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {t} (session_key varchar(40) NOT NULL PRIMARY KEY, session_data text NOT NULL, expire_date datetime NOT NULL)"
        );
        on_pool!(&self.inner.pools, writer, |pool| {
            sqlx::query(AssertSqlSafe(sql))
                .execute(pool)
                .await
                .map_err(failed("creating the raw table"))?;
        });
        Ok(())
    }

    /// Drops the table (the benchmark's own) and closes the pools.
    pub async fn drop_table(&self) -> Result<()> {
        let t = &self.inner.quoted_table;
        let sql = format!("DROP TABLE IF EXISTS {t}");
        let dropped = on_pool!(&self.inner.pools, writer, |pool| {
            sqlx::query(AssertSqlSafe(sql))
                .execute(pool)
                .await
                .map(drop)
                .map_err(failed("dropping the benchmark table"))
        });
        on_pool!(&self.inner.pools, writer, |pool| pool.close().await);
        on_pool!(&self.inner.pools, reader, |pool| pool.close().await);
        dropped
    }

    async fn select(&self, key: &str) -> Result<Option<String>> {
        on_pool!(&self.inner.pools, reader, |pool| {
            let row = sqlx::query(AssertSqlSafe(self.inner.select.clone()))
                .bind(key)
                .fetch_optional(pool)
                .await
                .map_err(failed("raw select"))?;
            row.map(|row| row.try_get::<String, _>(0))
                .transpose()
                .map_err(failed("raw select"))
        })
    }

    async fn write(
        &self,
        insert: bool,
        key: &str,
        data: &str,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        let (sql, first, second, third) = if insert {
            (&self.inner.insert, key, data, None)
        } else {
            (&self.inner.update, data, "", Some(key))
        };
        // INSERT binds (key, data, expire); UPDATE binds (data, expire, key).
        macro_rules! run {
            ($pool:expr, $expire:expr) => {{
                let query = sqlx::query(AssertSqlSafe(sql.clone())).bind(first);
                let query = match third {
                    None => query.bind(second).bind($expire),
                    Some(key) => query.bind($expire).bind(key),
                };
                query
                    .execute($pool)
                    .await
                    .map(drop)
                    .map_err(failed("raw write"))?
            }};
        }
        match &self.inner.pools {
            Pools::Sqlite { writer, .. } => {
                run!(writer, expires.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
            }
            Pools::Postgres { writer, .. } => run!(writer, expires),
            Pools::MySql { writer, .. } => run!(writer, expires.naive_utc()),
        };
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        on_pool!(&self.inner.pools, writer, |pool| {
            sqlx::query(AssertSqlSafe(self.inner.delete.clone()))
                .bind(key)
                .execute(pool)
                .await
                .map_err(failed("raw delete"))?;
        });
        Ok(())
    }
}

impl Raw for SqlRaw {
    fn name(&self) -> &str {
        "sql"
    }

    fn target(&self, payload: &Payload) -> Arc<dyn Target> {
        Arc::new(SqlTarget {
            raw: self.clone(),
            encoded: payload.encoded.clone(),
        })
    }
}

struct SqlTarget {
    raw: SqlRaw,
    encoded: Arc<str>,
}

impl SqlTarget {
    fn expires() -> DateTime<Utc> {
        Utc::now() + TimeDelta::days(14)
    }
}

#[async_trait]
impl Target for SqlTarget {
    async fn seed(&self) -> Result<String> {
        let key = self.raw.inner.keys.next();
        self.raw
            .write(true, &key, &self.encoded, Self::expires())
            .await?;
        Ok(key)
    }

    async fn run(&self, op: Op, key: &str, _n: u64) -> Result<()> {
        match op {
            Op::Create => self.seed().await.map(drop),
            Op::Load => match self.raw.select(key).await? {
                Some(_) => Ok(()),
                None => Err(wrong_answer("a stored row was not found")),
            },
            Op::LoadMiss => match self.raw.select(key).await? {
                None => Ok(()),
                Some(_) => Err(wrong_answer("a missing row was found")),
            },
            Op::Save => {
                if self.raw.select(key).await?.is_none() {
                    return Err(wrong_answer("a stored row was not found"));
                }
                self.raw
                    .write(false, key, &self.encoded, Self::expires())
                    .await
            }
            Op::Delete => self.raw.delete(key).await,
        }
    }
}
