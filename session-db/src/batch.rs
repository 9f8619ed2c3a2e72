//! SQLite saves committed together: the saves that arrive while the writer is busy go out
//! as one `UPDATE ... FROM (VALUES ...)`, one statement and one commit for all of them.
//!
//! SQLite commits one write at a time, and a save's own work is small next to what every
//! statement costs around it (a trip to the connection's thread and back, a commit, the
//! pages of the table and its two indexes written to the WAL). Under load the saves wait
//! for the writer anyway; here, whoever gets the writer takes every save waiting with it.
//! Saves of one key in one batch keep the last (what running them in order leaves).
//!
//! No task is spawned to own the queue: each caller queues its save and waits for the
//! writer; the first in line runs the batch and answers the others. The batch itself runs
//! as a task of its own, so a caller that gives up (its deadline passed) does not cancel
//! the other callers' saves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::{AssertSqlSafe, Row, SqlitePool};
use tokio::sync::oneshot;

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
    /// `update` for one row; `many[n]` for `n` rows (`n >= 2`).
    one: Arc<str>,
    many: Vec<Arc<str>>,
    queue: Mutex<Vec<Pending>>,
    turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SaveBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveBatcher").finish_non_exhaustive()
    }
}

impl SaveBatcher {
    /// Batches for `pool`: `one` is the single-row update (`data, expire, key`),
    /// `many[n]` the update of `n` rows ([`Statements::update_rows`](crate::dialect::Statements::update_rows)).
    pub(crate) fn new(pool: SqlitePool, one: Arc<str>, many: Vec<Arc<str>>) -> Self {
        SaveBatcher {
            pool,
            one,
            many,
            queue: Mutex::new(Vec::new()),
            turn: tokio::sync::Mutex::new(()),
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
        let turn = self.turn.lock().await;
        if let Ok(result) = answer.try_recv() {
            return result;
        }
        let batch: Vec<Pending> = {
            let mut queue = self.queue.lock().expect("queue lock");
            let take = queue.len().min(MAX_BATCH);
            queue.drain(..take).collect()
        };
        if !batch.is_empty() {
            let run = run(
                self.pool.clone(),
                self.one.clone(),
                self.many.clone(),
                batch,
            );
            tokio::spawn(run)
                .await
                .map_err(|e| Error::backend("updating sessions together", e))?;
        }
        drop(turn);
        answer
            .await
            .unwrap_or_else(|_| Err(Error::backend_msg("a batched session update was lost")))
    }
}

/// Runs `batch` and answers each caller.
async fn run(pool: SqlitePool, one: Arc<str>, many: Vec<Arc<str>>, batch: Vec<Pending>) {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (at, pending) in batch.iter().enumerate() {
        last.insert(&pending.key, at);
    }
    let mut rows: Vec<&Pending> = last.values().map(|&at| &batch[at]).collect();
    rows.sort_by_key(|pending| last[pending.key.as_str()]);
    let updated: std::result::Result<Vec<String>, sqlx::Error> = if let [only] = rows[..] {
        sqlx::query(AssertSqlSafe(one))
            .bind(&only.data)
            .bind(&only.expire)
            .bind(&only.key)
            .execute(&pool)
            .await
            .map(|done| {
                if done.rows_affected() > 0 {
                    vec![only.key.clone()]
                } else {
                    Vec::new()
                }
            })
    } else {
        let mut query = sqlx::query(AssertSqlSafe(many[rows.len()].clone()));
        for pending in &rows {
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
    drop(rows);
    drop(last);
    match updated {
        Ok(found) => {
            for pending in batch {
                let count = u64::from(found.contains(&pending.key));
                let _ = pending.reply.send(Ok(count));
            }
        }
        Err(error) => {
            let message = error.to_string();
            for pending in batch {
                let failure = Error::backend_msg(format!("updating a session: {message}"));
                let _ = pending.reply.send(Err(failure));
            }
        }
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
