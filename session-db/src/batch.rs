//! SQLite saves committed together: the saves that arrive while the writer is busy go out
//! as one `UPDATE ... FROM (VALUES ...)`, one statement and one commit for all of them.
//!
//! SQLite commits one write at a time, and a save's own work is small next to what every
//! statement costs around it (a trip to the connection's thread and back, a commit, the
//! pages of the table and its two indexes written to the WAL). Under load the saves wait
//! for the writer anyway; here, whoever gets the writer takes the saves waiting with it, up
//! to [`MAX_BATCH`]. Saves of one key in one batch keep the last (what running them in
//! order leaves).
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

use sqlx::{AssertSqlSafe, Row, SqlitePool};
use tokio::sync::{OwnedMutexGuard, oneshot};

use session_core::{Error, Result};

use crate::dialect::MAX_BATCH;

/// One queued save: the row's new values and where its row count goes.
struct Pending {
    key: String,
    data: String,
    expire: String,
    reply: oneshot::Sender<Result<u64>>,
}

/// The queue and the turn of one store's SQLite writer.
pub(crate) struct SaveBatcher {
    pool: SqlitePool,
    /// `updates[n]` updates `n` rows (from 1 to [`MAX_BATCH`]).
    updates: Vec<Arc<str>>,
    queue: Mutex<Vec<Pending>>,
    turn: Arc<tokio::sync::Mutex<()>>,
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
    pub(crate) fn new(pool: SqlitePool, one: Arc<str>, many: Vec<Arc<str>>) -> Self {
        let mut updates = many;
        updates[1] = one;
        SaveBatcher {
            pool,
            updates,
            queue: Mutex::new(Vec::new()),
            turn: Arc::new(tokio::sync::Mutex::new(())),
            #[cfg(test)]
            statements: Default::default(),
        }
    }

    /// Saves one row, alone or with the saves queued beside it; returns the rows updated
    /// (0 when the key has no row).
    pub(crate) async fn update(&self, key: &str, data: String, expire: String) -> Result<u64> {
        let (reply, mut answer) = oneshot::channel();
        self.queue.lock().expect("queue lock").push(Pending {
            key: key.to_owned(),
            data,
            expire,
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
            let (sql, rows) = statement(&self.updates, batch);
            #[cfg(test)]
            self.statements
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // A batch that panicked dropped its callers' replies: the next round says so.
            let _ = tokio::spawn(run(self.pool.clone(), sql, rows, turn)).await;
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

/// The statement for `batch` and, in its bound order, one save per key (the last queued),
/// each with the callers it answers.
fn statement(
    updates: &[Arc<str>],
    batch: Vec<Pending>,
) -> (Arc<str>, Vec<(Pending, Vec<Pending>)>) {
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
    (updates[rows.len()].clone(), rows)
}

/// Runs one batch, answers each caller, then gives the turn back.
async fn run(
    pool: SqlitePool,
    sql: Arc<str>,
    rows: Vec<(Pending, Vec<Pending>)>,
    _turn: OwnedMutexGuard<()>,
) {
    let mut query = sqlx::query(AssertSqlSafe(sql));
    let updated: std::result::Result<Vec<String>, sqlx::Error> = if let [(only, _)] = &rows[..] {
        query = query.bind(&only.data).bind(&only.expire).bind(&only.key);
        query.execute(&pool).await.map(|done| {
            if done.rows_affected() > 0 {
                vec![only.key.clone()]
            } else {
                Vec::new()
            }
        })
    } else {
        for (pending, _) in &rows {
            query = query
                .bind(&pending.key)
                .bind(&pending.data)
                .bind(&pending.expire);
        }
        query
            .fetch_all(&pool)
            .await
            .and_then(|found| found.iter().map(|row| row.try_get(0)).collect())
    };
    // SQLite's messages do not quote bound values: no session key reaches an error here.
    let answer = |key: &str| match &updated {
        Ok(found) => Ok(u64::from(found.iter().any(|k| k == key))),
        Err(error) => Err(Error::backend_msg(format!("updating a session: {error}"))),
    };
    for (kept, earlier) in rows {
        for pending in earlier {
            let _ = pending.reply.send(answer(&kept.key));
        }
        let _ = kept.reply.send(answer(&kept.key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{Dialect, Statements};

    async fn table() -> (tempfile::TempDir, SqlitePool, Statements) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("b.sqlite3").display()
        );
        let pool = SqlitePool::connect(&url).await.unwrap();
        let sql = Statements::new(Dialect::Sqlite, "t");
        for statement in &sql.migrate {
            sqlx::query(AssertSqlSafe(statement.clone()))
                .execute(&pool)
                .await
                .unwrap();
        }
        for key in ["k1", "k2"] {
            sqlx::query(AssertSqlSafe(sql.insert.clone()))
                .bind(key)
                .bind("old")
                .bind("2030-01-01 00:00:00")
                .execute(&pool)
                .await
                .unwrap();
        }
        (dir, pool, sql)
    }

    /// Queues `saves` behind a held turn, so that they all go in one batch, and returns
    /// each one's answer.
    async fn in_one_batch(batcher: &Arc<SaveBatcher>, saves: &[(&str, &str)]) -> Vec<Result<u64>> {
        let turn = batcher.turn.lock().await;
        let tasks: Vec<_> = saves
            .iter()
            .map(|&(key, data)| {
                let batcher = batcher.clone();
                let (key, data) = (key.to_owned(), data.to_owned());
                tokio::spawn(async move {
                    batcher
                        .update(&key, data, "2031-01-01 00:00:00".to_owned())
                        .await
                })
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

    /// The row as another connection sees it: only what was committed.
    async fn data(pool: &SqlitePool, key: &str) -> String {
        let other = SqlitePool::connect_with((*pool.connect_options()).clone())
            .await
            .unwrap();
        sqlx::query_scalar("SELECT session_data FROM t WHERE session_key = ?")
            .bind(key)
            .fetch_one(&other)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_batch_updates_each_row_once_the_last_save_of_a_key_winning() {
        let (_dir, pool, sql) = table().await;
        let batcher = Arc::new(SaveBatcher::new(pool.clone(), sql.update, sql.update_rows));
        let saves = [("k1", "a"), ("k2", "b"), ("gone", "c"), ("k1", "d")];
        let answers = in_one_batch(&batcher, &saves).await;
        let counts: Vec<u64> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(counts, [1, 1, 0, 1]);
        assert_eq!(statements(&batcher), 1, "four saves, one statement");
        assert_eq!(data(&pool, "k1").await, "d");
        assert_eq!(data(&pool, "k2").await, "b");
        let expire: String =
            sqlx::query_scalar("SELECT expire_date FROM t WHERE session_key = 'k2'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(expire, "2031-01-01 00:00:00");
        let single = in_one_batch(&batcher, &[("k2", "e")]).await;
        assert_eq!(
            single.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(data(&pool, "k2").await, "e");
        assert_eq!(statements(&batcher), 2);
    }

    fn statements(batcher: &SaveBatcher) -> usize {
        batcher
            .statements
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    #[tokio::test]
    async fn saves_whose_callers_gave_up_are_dropped_and_do_not_hold_up_the_rest() {
        let (_dir, pool, sql) = table().await;
        let batcher = Arc::new(SaveBatcher::new(pool.clone(), sql.update, sql.update_rows));
        let turn = batcher.turn.clone().lock_owned().await;
        let given_up: Vec<_> = (0..MAX_BATCH + 8)
            .map(|n| {
                let batcher = batcher.clone();
                let data = format!("stale {n}");
                tokio::spawn(async move {
                    let save = batcher.update("k1", data, "2031-01-01 00:00:00".to_owned());
                    tokio::time::timeout(std::time::Duration::from_millis(20), save).await
                })
            })
            .collect();
        for task in given_up {
            assert!(task.await.unwrap().is_err(), "timed out behind the turn");
        }
        let own = {
            let batcher = batcher.clone();
            tokio::spawn(async move {
                batcher
                    .update("k2", "fresh".to_owned(), "2031-01-01 00:00:00".to_owned())
                    .await
            })
        };
        while batcher.queue.lock().unwrap().len() < MAX_BATCH + 9 {
            tokio::task::yield_now().await;
        }
        drop(turn);
        let own = tokio::time::timeout(std::time::Duration::from_secs(5), own).await;
        assert_eq!(own.expect("answered").unwrap().unwrap(), 1);
        assert_eq!(
            data(&pool, "k1").await,
            "old",
            "no abandoned save was written"
        );
        assert_eq!(data(&pool, "k2").await, "fresh");
        assert_eq!(statements(&batcher), 1);
        assert!(batcher.queue.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_save_in_it() {
        let (_dir, pool, sql) = table().await;
        let batcher = Arc::new(SaveBatcher::new(pool.clone(), sql.update, sql.update_rows));
        sqlx::query("DROP TABLE t").execute(&pool).await.unwrap();
        for saves in [&[("k1", "a"), ("k2", "b")][..], &[("k1", "a")][..]] {
            for answer in in_one_batch(&batcher, saves).await {
                let error = answer.unwrap_err().to_string();
                assert!(error.contains("no such table"), "{error}");
            }
        }
    }
}
