//! Concurrent saves committed together (SQLite, PostgreSQL), and with batching off: every
//! one lands, with its own answer.

mod common;

use std::sync::Arc;

use serde_json::json;
use session_core::{SessionKey, SessionRecord, SessionSettings, SessionStore, StoreContext};
use session_db::{DbConfig, DbStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_saves_lose_no_write_and_a_deleted_session_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("w.sqlite3").display());
    let table = format!("batched_saves_{}", std::process::id());
    for url in [sqlite, common::pg_url(), common::mysql_url()] {
        for batch in [true, false] {
            let config = DbConfig::new(&url)
                .table(&table)
                .unwrap()
                .batch_saves(batch);
            concurrent_saves(config).await;
            common::drop_table(&url, &table).await;
        }
    }
}

async fn concurrent_saves(config: DbConfig) {
    let ctx = StoreContext::new(SessionSettings::new("s").unwrap());
    let store = Arc::new(DbStore::open(config, ctx.clone()).await.unwrap());
    store.migrate().await.unwrap();
    let record = |n: u64| {
        let data = json!({"n": n}).as_object().unwrap().clone();
        SessionRecord::new(data, ctx.expiry_date(&serde_json::Map::new(), ctx.now()))
    };
    let keys: Vec<SessionKey> = (0..32).map(|_| SessionKey::generate()).collect();
    for round in 0..8u64 {
        let writes: Vec<_> = keys
            .iter()
            .cloned()
            .map(|key| {
                let (store, record) = (store.clone(), record(round));
                tokio::spawn(async move {
                    if round == 0 {
                        store.create(&key, &record).await
                    } else {
                        store.save(&key, &record).await
                    }
                })
            })
            .collect();
        for write in writes {
            write.await.unwrap().expect("every save lands");
        }
    }
    store.delete(&keys[0]).await.unwrap();
    let saves: Vec<_> = keys
        .iter()
        .cloned()
        .map(|key| {
            let (store, record) = (store.clone(), record(8));
            tokio::spawn(async move { store.save(&key, &record).await })
        })
        .collect();
    let answers = futures_answers(saves).await;
    assert!(
        matches!(answers[0], Err(session_core::Error::SessionDeleted)),
        "{:?}",
        answers[0]
    );
    assert!(answers[1..].iter().all(Result::is_ok));
    assert!(store.load(&keys[0]).await.unwrap().is_none());
    for key in &keys[1..] {
        let loaded = store.load(key).await.unwrap().expect("created");
        assert_eq!(loaded.data()["n"], json!(8));
    }
}

async fn futures_answers<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}
