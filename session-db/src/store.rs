//! [`DbStore`]: the six primitives as SQL.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};

use session_core::{
    Cursor, Error, KeyBatch, Result, SessionInventory, SessionKey, SessionRecord, SessionStore,
    StoreContext, UserIndex, async_trait,
};

use crate::config::DbConfig;
use crate::dialect::{CLEAR_BATCH, Dialect, Statements};
use crate::pool::{Pools, on_pool};

/// Sessions in Django's `django_session` table (or another of the same shape).
#[derive(Debug, Clone)]
pub struct DbStore {
    pools: Pools,
    sql: Statements,
    ctx: StoreContext,
    deadline: Duration,
    /// SQLite and PostgreSQL, unless [`DbConfig::batch_saves`] is off: their saves,
    /// committed together.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    batcher: Option<std::sync::Arc<crate::batch::SaveBatcher>>,
}

/// SQLite's `SQLITE_BUSY` and its extended codes (`BUSY_RECOVERY`, `BUSY_SNAPSHOT`,
/// `BUSY_TIMEOUT`): another connection holds a lock this one cannot wait for. Only an
/// error from SQLite: the servers' codes are SQLSTATEs, and one of them (`42501`,
/// permission denied) is 5 in its low byte too.
#[cfg(feature = "sqlite")]
fn is_sqlite_busy(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::sqlite::SqliteError>())
        .and_then(sqlx::error::DatabaseError::code)
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

#[cfg(not(feature = "sqlite"))]
fn is_sqlite_busy(_: &sqlx::Error) -> bool {
    false
}

fn failed(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| Error::backend(what, e)
}

impl DbStore {
    /// A store for `config`. Connections are opened on first use, so this succeeds while
    /// the server is down; call [`migrate`](Self::migrate) to create the table if needed.
    /// Settings [`validate`](session_core::SessionSettings::validate) refuses are a
    /// configuration error.
    pub async fn open(config: DbConfig, ctx: StoreContext) -> Result<Self> {
        ctx.settings().validate()?;
        let dialect = Dialect::of_url(&config.url)?;
        let pools = Pools::open(&config)?;
        let sql = Statements::new(dialect, &config.table);
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        let batcher = {
            use crate::batch::{SaveBatcher, Writer};
            // How long a batch may hold the turn. SQLite's one writer runs the statements it
            // is sent in order, so a batch given up on still lands before the next. A
            // PostgreSQL batch given up on could land after a later one, so the server must
            // end it first (its statement and lock timeouts are the deadline, after at most
            // the acquire timeout): without server timeouts, PostgreSQL saves are not batched.
            let writer = match &pools {
                #[cfg(feature = "sqlite")]
                Pools::Sqlite { writer, .. } => {
                    Some((Writer::Sqlite(writer.clone()), config.deadline))
                }
                #[cfg(feature = "postgres")]
                Pools::Postgres { writer, .. } if config.server_timeouts => {
                    let limit = config.acquire_timeout + config.deadline + Duration::from_secs(1);
                    Some((Writer::Postgres(writer.clone()), limit))
                }
                #[allow(unreachable_patterns)]
                _ => None,
            };
            writer
                .filter(|_| config.batch_saves)
                .map(|(writer, limit)| {
                    let (one, many) = (sql.update.clone(), sql.update_rows.clone());
                    std::sync::Arc::new(SaveBatcher::new(writer, one, many, limit))
                })
        };
        Ok(DbStore {
            pools,
            sql,
            ctx,
            deadline: config.deadline,
            #[cfg(any(feature = "sqlite", feature = "postgres"))]
            batcher,
        })
    }

    /// `call` within the configured deadline.
    fn bounded<T>(
        &self,
        what: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> impl Future<Output = Result<T>> {
        session_core::deadline::within(self.deadline, what, call)
    }

    /// Creates the table and its `expire_date` index if they are missing. Idempotent, and
    /// safe when several processes run it at once: on SQLite, where a connection racing
    /// another one's switch to WAL or its schema change is refused at once ("database is
    /// locked") instead of waiting, the migration is tried again until the deadline.
    pub async fn migrate(&self) -> Result<()> {
        self.bounded("creating the session table", async {
            loop {
                // Boxed: the nested futures of a retried migration would otherwise make
                // every caller's future type too deep to lay out.
                match Box::pin(self.migrate_once()).await {
                    Err(error) if is_sqlite_busy(&error) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    done => return done.map_err(failed("creating the session table")),
                }
            }
        })
        .await
    }

    async fn migrate_once(&self) -> std::result::Result<(), sqlx::Error> {
        on_pool!(&self.pools, writer, |pool, _to_db, _from_db| {
            let mut tx = pool.begin().await?;
            for statement in &self.sql.migrate {
                sqlx::query(AssertSqlSafe(statement.clone()))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
    }

    /// Removes the table and every session in it, if it exists: the reverse of
    /// [`migrate`](Self::migrate), for uninstalling and for tests that made their own table.
    pub async fn drop_table(&self) -> Result<()> {
        self.bounded("dropping the session table", async {
            on_pool!(&self.pools, writer, |pool, _to_db, _from_db| {
                for statement in &self.sql.drop_table {
                    sqlx::query(AssertSqlSafe(statement.clone()))
                        .execute(pool)
                        .await
                        .map_err(failed("dropping the session table"))?;
                }
                Ok(())
            })
        })
        .await
    }

    /// The stored `session_data` under `key`, expired or not.
    async fn current_data(&self, key: &SessionKey) -> Result<Option<String>> {
        self.bounded("reading a session", async {
            on_pool!(&self.pools, writer, |pool, _to_db, _from_db| {
                let row = sqlx::query(AssertSqlSafe(self.sql.current.clone()))
                    .bind(key.as_str())
                    .fetch_optional(pool)
                    .await
                    .map_err(failed("reading a session"))?;
                row.map(|row| row.try_get(0).map_err(failed("reading session_data")))
                    .transpose()
            })
        })
        .await
    }

    /// Closes the pools, waiting (up to the deadline) for connections in use.
    pub async fn close(&self) {
        let closed = self
            .bounded("closing the connection pools", async {
                on_pool!(&self.pools, writer, |pool, _t, _f| pool.close().await);
                on_pool!(&self.pools, reader, |pool, _t, _f| pool.close().await);
                Ok(())
            })
            .await;
        if let Err(error) = closed {
            tracing::warn!(target: "session_db", %error, "connections still busy at close");
        }
    }
}

#[async_trait]
impl SessionStore for DbStore {
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        self.bounded("checking a session", async {
            on_pool!(&self.pools, reader, |pool, _to_db, _from_db| {
                let row = sqlx::query(AssertSqlSafe(self.sql.exists.clone()))
                    .bind(key.as_str())
                    .fetch_optional(pool)
                    .await
                    .map_err(failed("checking a session"))?;
                Ok(row.is_some())
            })
        })
        .await
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let encoded = self.ctx.encode(record.data())?;
        self.bounded("inserting a session", async {
            on_pool!(&self.pools, writer, |pool, to_db, _from_db| {
                let inserted = sqlx::query(AssertSqlSafe(self.sql.insert.clone()))
                    .bind(key.as_str())
                    .bind(&encoded)
                    .bind(to_db(record.expires_at()))
                    .execute(pool)
                    .await;
                match inserted {
                    Ok(_) => Ok(key.clone()),
                    Err(e)
                        if e.as_database_error()
                            .is_some_and(|d| d.is_unique_violation()) =>
                    {
                        Err(Error::KeyCollision)
                    }
                    Err(e) => Err(Error::backend("inserting a session", e)),
                }
            })
        })
        .await
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let encoded = self.ctx.encode(record.data())?;
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        if let Some(batcher) = &self.batcher {
            let update = batcher.update(key.as_str(), encoded, record.expires_at());
            return match self.bounded("updating a session", update).await? {
                0 => Err(Error::SessionDeleted),
                _ => Ok(key.clone()),
            };
        }
        let updated = self
            .bounded("updating a session", async {
                Ok(on_pool!(&self.pools, writer, |pool, to_db, _from_db| {
                    sqlx::query(AssertSqlSafe(self.sql.update.clone()))
                        .bind(&encoded)
                        .bind(to_db(record.expires_at()))
                        .bind(key.as_str())
                        .execute(pool)
                        .await
                        .map_err(failed("updating a session"))?
                        .rows_affected()
                }))
            })
            .await?;
        // MySQL counts changed rows, not matched ones: an identical save reports 0.
        if updated == 0 && !self.exists(key).await? {
            return Err(Error::SessionDeleted);
        }
        Ok(key.clone())
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.bounded("deleting a session", async {
            on_pool!(&self.pools, writer, |pool, _to_db, _from_db| {
                sqlx::query(AssertSqlSafe(self.sql.delete.clone()))
                    .bind(key.as_str())
                    .execute(pool)
                    .await
                    .map_err(failed("deleting a session"))?;
                Ok(())
            })
        })
        .await
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let now = self.ctx.now();
        let row = self
            .bounded("loading a session", async {
                Ok(on_pool!(&self.pools, reader, |pool, to_db, from_db| {
                    let row = sqlx::query(AssertSqlSafe(self.sql.load.clone()))
                        .bind(key.as_str())
                        .bind(to_db(now))
                        .fetch_optional(pool)
                        .await
                        .map_err(failed("loading a session"))?;
                    match row {
                        None => None,
                        Some(row) => {
                            let data: String =
                                row.try_get(0).map_err(failed("reading session_data"))?;
                            let expires_at =
                                from_db(row.try_get(1).map_err(failed("reading expire_date"))?)?;
                            Some((data, expires_at))
                        }
                    }
                }))
            })
            .await?;
        Ok(row.and_then(|(stored, expires_at)| {
            self.ctx.decode(&stored).map(|data| {
                self.ctx
                    .loaded(SessionRecord::new(data, expires_at), &stored)
            })
        }))
    }

    fn supports_conflict_detection(&self) -> bool {
        true
    }

    /// `UPDATE ... WHERE session_key = ? AND session_data = ?` with the value loaded: Django's
    /// table as it is, no version column.
    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let expected = loaded.expect_version()?;
        let encoded = self.ctx.encode(record.data())?;
        let updated = self
            .bounded("updating a session", async {
                Ok(on_pool!(&self.pools, writer, |pool, to_db, _from_db| {
                    sqlx::query(AssertSqlSafe(self.sql.update_if.clone()))
                        .bind(&encoded)
                        .bind(to_db(record.expires_at()))
                        .bind(key.as_str())
                        .bind(expected)
                        .execute(pool)
                        .await
                        .map_err(failed("updating a session"))?
                        .rows_affected()
                }))
            })
            .await?;
        if updated == 0 {
            // MySQL counts changed rows: an update of the loaded value to itself reports 0
            // too. Another request having written these very bytes is still a conflict:
            // two increments of 5 both write 6.
            match self.current_data(key).await? {
                None => return Err(Error::SessionDeleted),
                Some(current) if current == expected && expected == encoded => {}
                Some(_) => return Err(Error::Conflict),
            }
        }
        Ok(record.clone().with_version(encoded))
    }

    async fn clear_expired(&self) -> Result<u64> {
        let now = self.ctx.now();
        let mut removed = 0;
        loop {
            let batch = self
                .bounded("clearing expired sessions", async {
                    Ok(on_pool!(&self.pools, writer, |pool, to_db, _from_db| {
                        sqlx::query(AssertSqlSafe(self.sql.clear_batch.clone()))
                            .bind(to_db(now))
                            .execute(pool)
                            .await
                            .map_err(failed("clearing expired sessions"))?
                            .rows_affected()
                    }))
                })
                .await?;
            removed += batch;
            if batch < CLEAR_BATCH {
                return Ok(removed);
            }
        }
    }

    fn inventory(&self) -> Option<&dyn SessionInventory> {
        Some(self)
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        Some(self)
    }
}

/// The table `<table>_users` (user_id, session_key, expire_date), made by
/// [`DbStore::migrate`] next to Django's, which ignores it. Entries of sessions that ended
/// are dropped by `session_core` as it lists them (at each login too), not by the
/// `expire_date` kept here, which a later save of the session outdates.
#[async_trait]
impl UserIndex for DbStore {
    async fn index_add(
        &self,
        user: &str,
        key: &SessionKey,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.bounded("indexing a user's session", async {
            on_pool!(&self.pools, writer, |pool, to_db, _from_db| {
                sqlx::query(AssertSqlSafe(self.sql.user_add.clone()))
                    .bind(user)
                    .bind(key.as_str())
                    .bind(to_db(expires_at))
                    .execute(pool)
                    .await
                    .map_err(failed("indexing a user's session"))?;
                Ok(())
            })
        })
        .await
        .map_err(|e| e.redacted(key))
    }

    async fn index_keys(&self, user: &str) -> Result<Vec<SessionKey>> {
        let keys: Vec<String> = self
            .bounded("listing a user's sessions", async {
                Ok(on_pool!(&self.pools, reader, |pool, _to_db, _from_db| {
                    sqlx::query_scalar(AssertSqlSafe(self.sql.user_keys.clone()))
                        .bind(user)
                        .fetch_all(pool)
                        .await
                        .map_err(failed("listing a user's sessions"))?
                }))
            })
            .await?;
        Ok(keys
            .iter()
            .filter_map(|k| SessionKey::parse(k).ok())
            .collect())
    }

    async fn index_remove(&self, user: &str, key: &SessionKey) -> Result<()> {
        self.bounded("forgetting a user's session", async {
            on_pool!(&self.pools, writer, |pool, _to_db, _from_db| {
                sqlx::query(AssertSqlSafe(self.sql.user_remove.clone()))
                    .bind(user)
                    .bind(key.as_str())
                    .execute(pool)
                    .await
                    .map_err(failed("forgetting a user's session"))?;
                Ok(())
            })
        })
        .await
        .map_err(|e| e.redacted(key))
    }
}

/// Unexpired keys in key order (the primary key's index); the cursor is the last key.
/// Rows whose key is not a valid session key (written by something else) are skipped.
#[async_trait]
impl SessionInventory for DbStore {
    async fn list_keys(&self, from: Option<&Cursor>, limit: usize) -> Result<KeyBatch> {
        let now = self.ctx.now();
        let after = from.map_or("", Cursor::as_str).to_owned();
        let limit = limit.clamp(1, 100_000);
        let rows: Vec<String> = self
            .bounded("listing sessions", async {
                Ok(on_pool!(&self.pools, reader, |pool, to_db, _from_db| {
                    sqlx::query_scalar(AssertSqlSafe(self.sql.list_keys.clone()))
                        .bind(&after)
                        .bind(to_db(now))
                        .bind(limit as i64)
                        .fetch_all(pool)
                        .await
                        .map_err(failed("listing sessions"))?
                }))
            })
            .await?;
        let next = (rows.len() == limit).then(|| Cursor::new(rows[rows.len() - 1].clone()));
        let keys = rows
            .iter()
            .filter_map(|k| SessionKey::parse(k).ok())
            .collect();
        Ok(KeyBatch::new(keys, next))
    }

    async fn count(&self) -> Result<u64> {
        let now = self.ctx.now();
        let count: i64 = self
            .bounded("counting sessions", async {
                Ok(on_pool!(&self.pools, reader, |pool, to_db, _from_db| {
                    sqlx::query_scalar(AssertSqlSafe(self.sql.count.clone()))
                        .bind(to_db(now))
                        .fetch_one(pool)
                        .await
                        .map_err(failed("counting sessions"))?
                }))
            })
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use session_core::SessionSettings;

    #[tokio::test]
    async fn refuses_settings_browsers_would_reject() {
        let mut settings = SessionSettings::new("secret").unwrap();
        settings.cookie_name = "session id".into();
        let ctx = StoreContext::new(settings);
        let err = DbStore::open(DbConfig::new("sqlite::memory:"), ctx)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Configuration(_)), "{err:?}");
    }
}
