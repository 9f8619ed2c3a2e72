//! Database errors never show the session key: every primitive on a key fails (the table
//! is gone, then the pool is closed) and neither the error nor the log holds the key.

mod common;

use serde_json::json;
use session_core::{SessionKey, SessionRecord, SessionSettings, SessionStore, StoreContext};
use session_db::{DbConfig, DbStore};

/// Every primitive on `key` fails; returns the errors' text, `Display` and `Debug`.
async fn failures(store: &DbStore, key: &SessionKey, record: &SessionRecord) -> Vec<String> {
    let errors = [
        store.exists(key).await.map(drop),
        store.load(key).await.map(drop),
        store.create(key, record).await.map(drop),
        store.save(key, record).await.map(drop),
        store.delete(key).await,
    ];
    errors
        .into_iter()
        .map(|result| {
            let err = result.expect_err("the table is gone");
            assert!(err.is_backend(), "{err:?}");
            format!("{err} {err:?}")
        })
        .collect()
}

async fn no_key_in_errors(url: String, table: &str, key: SessionKey) {
    let ctx = StoreContext::new(SessionSettings::new("hygiene-secret").unwrap());
    let data = json!({"n": 1}).as_object().unwrap().clone();
    let record = SessionRecord::new(data.clone(), ctx.expiry_date(&data, ctx.now()));
    let store = DbStore::open(DbConfig::new(url).table(table).unwrap(), ctx)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.create(&key, &record).await.unwrap();
    store.drop_table().await.unwrap();
    let mut texts = failures(&store, &key, &record).await;
    store.close().await;
    texts.extend(failures(&store, &key, &record).await);
    for text in texts {
        assert!(!text.contains(key.as_str()), "the key shows: {text}");
    }
}

/// Runs the checks on `url`, recording the log; the log must not show the key either.
fn checked(url: String, table: &str) {
    let key = SessionKey::generate();
    let ((), log) = session_conformance::capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(no_key_in_errors(url, table, key.clone()))
    });
    assert!(!log.contains(key.as_str()), "the key shows: {log}");
}

fn unique_table() -> String {
    format!("hygiene_{}", &SessionKey::generate().as_str()[..12])
}

#[test]
fn sqlite_errors_show_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.sqlite3");
    checked(
        format!("sqlite://{}?mode=rwc", path.display()),
        "django_session",
    );
}

#[tokio::test]
async fn postgres_errors_show_no_key() {
    if let Some(url) = common::required("PG_URL") {
        let table = unique_table();
        let run = (url.clone(), table.clone());
        tokio::task::spawn_blocking(move || checked(run.0, &run.1))
            .await
            .unwrap();
        common::drop_table(&url, &table).await;
    }
}

#[tokio::test]
async fn mysql_errors_show_no_key() {
    if let Some(url) = common::required("MYSQL_URL") {
        let table = unique_table();
        let run = (url.clone(), table.clone());
        tokio::task::spawn_blocking(move || checked(run.0, &run.1))
            .await
            .unwrap();
        common::drop_table(&url, &table).await;
    }
}
