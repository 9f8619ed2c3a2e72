//! Saves committed together (SQLite and PostgreSQL): the saves that arrive while a batch
//! is being written go out as the next batch, one `UPDATE ... FROM` and one commit for all
//! of them (SQLite: `FROM (VALUES ...)`; PostgreSQL: `FROM UNNEST($1, $2, $3)`, the same
//! statement for every size).
//!
//! A save's own work is small next to what every statement costs around it: a trip to the
//! connection (sqlx's thread for SQLite, a network round trip for PostgreSQL) and back, a
//! commit, the pages of the table and its two indexes written to the log. Whoever has the
//! turn takes the saves waiting, up to [`MAX_BATCH`]. Saves of one key in one batch keep the
//! last (what running them in order leaves); the rows go in key order, so batches from
//! several processes lock PostgreSQL rows in the same order.
//!
//! No task owns the queue: each caller queues its save and waits for the turn; whoever has
//! it runs the next batch, until its own save has been answered. A batch runs as a task of
//! its own that holds the turn until it is done, so a caller that gives up (its deadline
//! passed) cancels nobody's save, and batches never overlap. A save whose caller gave up
//! before its batch started is dropped, as an unbatched save cancelled before its statement
//! ran would be. The batch runs on the runtime of the caller that started it: should that
//! runtime shut down meanwhile, the other callers in it get an error, and their saves may
//! or may not have been written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};
use tokio::sync::{OwnedMutexGuard, oneshot};

use session_core::{Error, Result};

use crate::dialect::MAX_BATCH;

/// One queued save: the row's new values and where its row count goes.
struct Pending {
    key: String,
    data: String,
    expires_at: DateTime<Utc>,
    reply: oneshot::Sender<Result<u64>>,
}

/// The connection pool a batcher writes through.
#[derive(Debug, Clone)]
pub(crate) enum Writer {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// The queue and the turn of one store's writer.
pub(crate) struct SaveBatcher {
    pool: Writer,
    /// The single-row update (bound `data, expire, key`).
    one: Arc<str>,
    /// `many[n]` updates `n` rows, from 2 to [`MAX_BATCH`].
    many: Vec<Arc<str>>,
    queue: Mutex<Vec<Pending>>,
    turn: Arc<tokio::sync::Mutex<()>>,
    /// How long a batch may take before its callers are told it failed and the turn goes
    /// back (see `DbStore::open` for why PostgreSQL's is longer than the deadline).
    deadline: Duration,
    #[cfg(test)]
    statements: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for SaveBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveBatcher").finish_non_exhaustive()
    }
}

fn lost() -> Error {
    Error::backend_msg("a batched session update was lost (its batch did not finish)")
}

impl SaveBatcher {
    /// Batches for `pool`: `one` is the single-row update (bound `data, expire, key`),
    /// `many` the updates of several rows ([`Statements::update_rows`](crate::dialect::Statements::update_rows)).
    pub(crate) fn new(
        pool: Writer,
        one: Arc<str>,
        many: Vec<Arc<str>>,
        deadline: Duration,
    ) -> Self {
        SaveBatcher {
            pool,
            one,
            many,
            queue: Mutex::new(Vec::new()),
            turn: Arc::new(tokio::sync::Mutex::new(())),
            deadline,
            #[cfg(test)]
            statements: Default::default(),
        }
    }

    /// Saves one row, alone or with the saves queued beside it; returns the rows updated
    /// (0 when the key has no row).
    pub(crate) async fn update(
        &self,
        key: &str,
        data: String,
        expires_at: DateTime<Utc>,
    ) -> Result<u64> {
        let (reply, mut answer) = oneshot::channel();
        self.queue.lock().expect("queue lock").push(Pending {
            key: key.to_owned(),
            data,
            expires_at,
            reply,
        });
        loop {
            let turn = self.turn.clone().lock_owned().await;
            match answer.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => return Err(lost()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch = self.next_batch();
            if batch.is_empty() {
                // Not answered, not queued, and no batch runs while we hold the turn.
                return Err(lost());
            }
            let rows = rows(batch);
            #[cfg(test)]
            self.statements
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let statements = [self.one.clone(), self.many[rows.len()].clone()];
            let run = run(self.pool.clone(), statements, rows, self.deadline, turn);
            // A batch that panicked dropped its callers' replies: the next round says so.
            let _ = tokio::spawn(run).await;
        }
    }

    /// The oldest queued saves whose callers still wait, at most [`MAX_BATCH`] of them.
    fn next_batch(&self) -> Vec<Pending> {
        let mut queue = self.queue.lock().expect("queue lock");
        queue.retain(|pending| !pending.reply.is_closed());
        let take = queue.len().min(MAX_BATCH);
        queue.drain(..take).collect()
    }
}

/// The rows of `batch` in their bound order: one save per key (the last queued), each with
/// the earlier callers it answers too.
fn rows(batch: Vec<Pending>) -> Vec<(Pending, Vec<Pending>)> {
    if batch.len() == 1 {
        return batch.into_iter().map(|only| (only, Vec::new())).collect();
    }
    let mut at_key: HashMap<String, usize> = HashMap::with_capacity(batch.len());
    let mut rows: Vec<(Pending, Vec<Pending>)> = Vec::with_capacity(batch.len());
    for pending in batch {
        match at_key.get(&pending.key) {
            Some(&at) => {
                let (kept, earlier) = &mut rows[at];
                earlier.push(std::mem::replace(kept, pending));
            }
            None => {
                at_key.insert(pending.key.clone(), rows.len());
                rows.push((pending, Vec::new()));
            }
        }
    }
    // Rows in key order: where PostgreSQL looks the rows up by key (all but small tables),
    // batches from several processes lock them in the same order.
    rows.sort_unstable_by(|(a, _), (b, _)| a.key.cmp(&b.key));
    rows
}

/// Runs one batch within `deadline` (with `one` the single-row update and `many` the update
/// of as many rows as the batch has), answers each caller, then gives the turn back.
async fn run(
    pool: Writer,
    [one, many]: [Arc<str>; 2],
    rows: Vec<(Pending, Vec<Pending>)>,
    deadline: Duration,
    _turn: OwnedMutexGuard<()>,
) {
    let updated = match tokio::time::timeout(deadline, write(&pool, one, many, &rows)).await {
        Ok(written) => written.map_err(|error| error.to_string()),
        Err(_) => Err(format!("no answer within {deadline:?}")),
    };
    // The databases' messages do not quote bound values: no session key reaches an error.
    let answer = |key: &str| match &updated {
        Ok(found) => Ok(u64::from(found.iter().any(|k| k == key))),
        Err(message) => Err(Error::backend_msg(format!("updating a session: {message}"))),
    };
    for (kept, earlier) in rows {
        for pending in earlier {
            let _ = pending.reply.send(answer(&kept.key));
        }
        let _ = kept.reply.send(answer(&kept.key));
    }
}

/// Writes the batch's rows; returns the keys that have a row.
async fn write(
    pool: &Writer,
    one: Arc<str>,
    many: Arc<str>,
    rows: &[(Pending, Vec<Pending>)],
) -> std::result::Result<Vec<String>, sqlx::Error> {
    match pool {
        #[cfg(feature = "sqlite")]
        Writer::Sqlite(pool) => {
            use crate::dialect::time::sqlite::to_db;
            if let [(only, _)] = rows {
                let query = sqlx::query(AssertSqlSafe(one))
                    .bind(&only.data)
                    .bind(to_db(only.expires_at))
                    .bind(&only.key);
                let done = query.execute(pool).await?;
                Ok(found_if(done.rows_affected(), only))
            } else {
                let mut query = sqlx::query(AssertSqlSafe(many));
                for (pending, _) in rows {
                    query = query
                        .bind(&pending.key)
                        .bind(&pending.data)
                        .bind(to_db(pending.expires_at));
                }
                query.fetch_all(pool).await.and_then(keys)
            }
        }
        #[cfg(feature = "postgres")]
        Writer::Postgres(pool) => {
            use crate::dialect::time::postgres::to_db;
            if rows.len() > 1 {
                let column = |f: fn(&Pending) -> &str| -> Vec<&str> {
                    rows.iter().map(|(pending, _)| f(pending)).collect()
                };
                let expires: Vec<DateTime<Utc>> = rows
                    .iter()
                    .map(|(pending, _)| to_db(pending.expires_at))
                    .collect();
                let query = sqlx::query(AssertSqlSafe(many))
                    .bind(column(|p| &p.key))
                    .bind(column(|p| &p.data))
                    .bind(expires);
                match query.fetch_all(pool).await {
                    // Another batch locked the same rows in another order: write them one by
                    // one instead, which cannot deadlock.
                    Err(error) if is_deadlock(&error) => {}
                    written => return written.and_then(keys),
                }
            }
            let mut found = Vec::new();
            for (pending, _) in rows {
                let query = sqlx::query(AssertSqlSafe(one.clone()))
                    .bind(&pending.data)
                    .bind(to_db(pending.expires_at))
                    .bind(&pending.key);
                let done = query.execute(pool).await?;
                found.extend(found_if(done.rows_affected(), pending));
            }
            Ok(found)
        }
    }
}

/// PostgreSQL's `deadlock_detected` (40P01).
#[cfg(feature = "postgres")]
fn is_deadlock(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40P01")
}

fn found_if(rows_affected: u64, only: &Pending) -> Vec<String> {
    if rows_affected > 0 {
        vec![only.key.clone()]
    } else {
        Vec::new()
    }
}

fn keys<R: Row>(rows: Vec<R>) -> std::result::Result<Vec<String>, sqlx::Error>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter().map(|row| row.try_get(0)).collect()
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::dialect::{Dialect, Statements};
    use chrono::TimeZone;

    fn in_2031() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap()
    }

    fn in_2030() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
    }

    /// A table holding `k1` and `k2` (data "old") on SQLite and one on PostgreSQL.
    struct Table {
        writer: Writer,
        sql: Statements,
        name: String,
        _dir: Option<tempfile::TempDir>,
    }

    impl Table {
        async fn all(#[allow(unused_variables)] test: &str) -> Vec<Table> {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("b.sqlite3").display()
            );
            let sqlite = Table {
                writer: Writer::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap()),
                sql: Statements::new(Dialect::Sqlite, "t"),
                name: "t".to_owned(),
                _dir: Some(dir),
            };
            #[allow(unused_mut)]
            let mut tables = vec![sqlite];
            #[cfg(feature = "postgres")]
            {
                let pg = sqlx::PgPool::connect(&session_test_support::services::pg_url())
                    .await
                    .expect("PostgreSQL (scripts/services)");
                let table = format!("batch_{test}_{}", std::process::id());
                tables.push(Table {
                    writer: Writer::Postgres(pg),
                    sql: Statements::new(Dialect::Postgres, &table),
                    name: table,
                    _dir: None,
                });
            }
            for table in &mut tables {
                table.run_all(&table.sql.drop_table.clone()).await;
                table.run_all(&table.sql.migrate.clone()).await;
                for key in ["k1", "k2"] {
                    table.insert(key).await;
                }
            }
            tables
        }

        async fn run_all(&self, statements: &[Arc<str>]) {
            for statement in statements {
                let sql = AssertSqlSafe(statement.clone());
                match &self.writer {
                    Writer::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
                    #[cfg(feature = "postgres")]
                    Writer::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
                }
                .unwrap();
            }
        }

        async fn insert(&self, key: &str) {
            let sql = AssertSqlSafe(self.sql.insert.clone());
            match &self.writer {
                Writer::Sqlite(pool) => {
                    let query = sqlx::query(sql).bind(key).bind("old");
                    query
                        .bind("2030-01-01 00:00:00")
                        .execute(pool)
                        .await
                        .map(drop)
                }
                #[cfg(feature = "postgres")]
                Writer::Postgres(pool) => {
                    let query = sqlx::query(sql).bind(key).bind("old");
                    query.bind(in_2030()).execute(pool).await.map(drop)
                }
            }
            .unwrap();
        }

        fn batcher(&self) -> Arc<SaveBatcher> {
            let (one, many) = (self.sql.update.clone(), self.sql.update_rows.clone());
            let deadline = Duration::from_secs(5);
            Arc::new(SaveBatcher::new(self.writer.clone(), one, many, deadline))
        }

        /// The row's data as another connection sees it: only what was committed.
        async fn data(&self, key: &str) -> String {
            let query = AssertSqlSafe(self.sql.current.clone());
            match &self.writer {
                Writer::Sqlite(pool) => {
                    let options = (*pool.connect_options()).clone();
                    let other = sqlx::SqlitePool::connect_with(options).await.unwrap();
                    sqlx::query_scalar(query).bind(key).fetch_one(&other).await
                }
                #[cfg(feature = "postgres")]
                Writer::Postgres(pool) => {
                    let options = (*pool.connect_options()).clone();
                    let other = sqlx::PgPool::connect_with(options).await.unwrap();
                    sqlx::query_scalar(query).bind(key).fetch_one(&other).await
                }
            }
            .unwrap()
        }

        async fn drop(self) {
            self.run_all(&self.sql.drop_table.clone()).await;
        }
    }

    /// Queues `saves` behind a held turn, so that they all go in one batch, and returns
    /// each one's answer.
    async fn in_one_batch(batcher: &Arc<SaveBatcher>, saves: &[(&str, &str)]) -> Vec<Result<u64>> {
        let turn = batcher.turn.clone().lock_owned().await;
        let tasks: Vec<_> = saves
            .iter()
            .map(|&(key, data)| {
                let batcher = batcher.clone();
                let (key, data) = (key.to_owned(), data.to_owned());
                tokio::spawn(async move { batcher.update(&key, data, in_2031()).await })
            })
            .collect();
        while batcher.queue.lock().unwrap().len() < saves.len() {
            tokio::task::yield_now().await;
        }
        drop(turn);
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        answers
    }

    fn statements(batcher: &SaveBatcher) -> usize {
        batcher
            .statements
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    #[tokio::test]
    async fn a_batch_updates_each_row_once_the_last_save_of_a_key_winning() {
        for table in Table::all("last_wins").await {
            let batcher = table.batcher();
            let saves = [("k1", "a"), ("k2", "b"), ("gone", "c"), ("k1", "d")];
            let answers = in_one_batch(&batcher, &saves).await;
            let counts: Vec<u64> = answers.into_iter().map(Result::unwrap).collect();
            assert_eq!(counts, [1, 1, 0, 1]);
            assert_eq!(statements(&batcher), 1, "four saves, one statement");
            assert_eq!(table.data("k1").await, "d");
            assert_eq!(table.data("k2").await, "b");
            let single = in_one_batch(&batcher, &[("k2", "e")]).await;
            assert_eq!(
                single.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
                [1]
            );
            assert_eq!(table.data("k2").await, "e");
            assert_eq!(statements(&batcher), 2);
            table.drop().await;
        }
    }

    #[tokio::test]
    async fn a_batch_writes_the_expiry() {
        for table in Table::all("expiry").await {
            let batcher = table.batcher();
            for answer in in_one_batch(&batcher, &[("k1", "a"), ("k2", "b")]).await {
                assert_eq!(answer.unwrap(), 1);
            }
            let expires = format!(
                "SELECT expire_date FROM {} WHERE session_key = 'k2'",
                table.name
            );
            let expires = match &table.writer {
                Writer::Sqlite(pool) => {
                    let text: String = sqlx::query_scalar(AssertSqlSafe(expires))
                        .fetch_one(pool)
                        .await
                        .unwrap();
                    crate::dialect::time::sqlite::from_db(text).unwrap()
                }
                #[cfg(feature = "postgres")]
                Writer::Postgres(pool) => sqlx::query_scalar(AssertSqlSafe(expires))
                    .fetch_one(pool)
                    .await
                    .unwrap(),
            };
            assert_eq!(expires, in_2031(), "inserted with 2030, saved with 2031");
            table.drop().await;
        }
    }

    /// A batch stuck on a row another transaction holds is ended by the server's lock
    /// timeout, fails its callers and gives the turn back; nothing of it lands later.
    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn a_batch_stuck_on_a_lock_fails_within_its_deadline() {
        let mut tables = Table::all("stuck").await;
        let table = tables.pop().unwrap();
        let Writer::Postgres(pool) = &table.writer else {
            unreachable!("the last table is PostgreSQL's")
        };
        let deadline = Duration::from_millis(300);
        let options = (*pool.connect_options()).clone();
        let options = options.options(crate::server_timeouts::postgres(deadline));
        let timed = Writer::Postgres(sqlx::PgPool::connect_with(options).await.unwrap());
        let (one, many) = (table.sql.update.clone(), table.sql.update_rows.clone());
        let limit = deadline + Duration::from_secs(1);
        let batcher = Arc::new(SaveBatcher::new(timed, one, many, limit));
        let mut locker = pool.begin().await.unwrap();
        let lock = format!(
            "SELECT 1 FROM {} WHERE session_key = 'k1' FOR UPDATE",
            table.name
        );
        sqlx::query(AssertSqlSafe(lock))
            .execute(&mut *locker)
            .await
            .unwrap();
        let started = std::time::Instant::now();
        for answer in in_one_batch(&batcher, &[("k1", "a"), ("k2", "b")]).await {
            let error = answer.unwrap_err().to_string();
            assert!(
                error.contains("due to lock timeout") || error.contains("due to statement timeout"),
                "{error}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        let after = in_one_batch(&batcher, &[("k2", "c")]).await;
        assert_eq!(
            after.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [1]
        );
        locker.rollback().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            table.data("k1").await,
            "old",
            "the server ended the stuck batch"
        );
        assert_eq!(
            table.data("k2").await,
            "c",
            "nothing older lands after a newer save"
        );
        table.drop().await;
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_save_in_it() {
        for table in Table::all("failed").await {
            let batcher = table.batcher();
            table.run_all(&table.sql.drop_table.clone()).await;
            for saves in [&[("k1", "a"), ("k2", "b")][..], &[("k1", "a")][..]] {
                for answer in in_one_batch(&batcher, saves).await {
                    let error = answer.unwrap_err().to_string();
                    assert!(
                        error.contains("does not exist") || error.contains("no such table"),
                        "{error}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn saves_whose_callers_gave_up_are_dropped_and_do_not_hold_up_the_rest() {
        for table in Table::all("gave_up").await {
            let batcher = table.batcher();
            let turn = batcher.turn.clone().lock_owned().await;
            let given_up: Vec<_> = (0..MAX_BATCH + 8)
                .map(|n| {
                    let batcher = batcher.clone();
                    let data = format!("stale {n}");
                    tokio::spawn(async move {
                        let save = batcher.update("k1", data, in_2031());
                        tokio::time::timeout(std::time::Duration::from_millis(20), save).await
                    })
                })
                .collect();
            for task in given_up {
                assert!(task.await.unwrap().is_err(), "timed out behind the turn");
            }
            let own = {
                let batcher = batcher.clone();
                tokio::spawn(
                    async move { batcher.update("k2", "fresh".to_owned(), in_2031()).await },
                )
            };
            while batcher.queue.lock().unwrap().len() < MAX_BATCH + 9 {
                tokio::task::yield_now().await;
            }
            drop(turn);
            let own = tokio::time::timeout(std::time::Duration::from_secs(5), own).await;
            assert_eq!(own.expect("answered").unwrap().unwrap(), 1);
            assert_eq!(
                table.data("k1").await,
                "old",
                "no abandoned save was written"
            );
            assert_eq!(table.data("k2").await, "fresh");
            assert_eq!(statements(&batcher), 1);
            assert!(batcher.queue.lock().unwrap().is_empty());
            table.drop().await;
        }
    }
}
