//! Several connections writing one SQLite file: every write lands, none surfaces SQLite's
//! lock contention as an error.

use std::sync::Arc;

use serde_json::json;
use session_core::{SessionKey, SessionRecord, SessionSettings, SessionStore, StoreContext};
use session_db::{DbConfig, DbStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_writers_lose_no_write() {
    let ctx = StoreContext::new(SessionSettings::new("s").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("w.sqlite3").display());
    let store = Arc::new(
        DbStore::open(DbConfig::new(url).sqlite_writers(4), ctx.clone())
            .await
            .unwrap(),
    );
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
            write
                .await
                .unwrap()
                .expect("no write fails on lock contention");
        }
    }
    for key in &keys {
        let loaded = store.load(key).await.unwrap().expect("created");
        assert_eq!(loaded.data()["n"], json!(7));
    }
}
