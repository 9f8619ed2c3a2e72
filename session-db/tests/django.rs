//! Django's own SQLite table, outages, and migrations racing.

mod common;

use std::time::{Duration, Instant};

use serde_json::Value;
use session_core::{
    Secrets, SessionKey, SessionManager, SessionSettings, SessionStore, StoreContext,
};
use session_db::{DbConfig, DbStore};

use django_interop::vectors::{self, load as vectors};

fn django_settings(v: &Value) -> SessionSettings {
    SessionSettings::with_secrets(
        Secrets::new(vectors::secret_key(v))
            .unwrap()
            .with_fallbacks(vectors::fallbacks(v))
            .unwrap(),
    )
}

#[tokio::test]
async fn reads_every_row_django_wrote() {
    let v = vectors();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("django.sqlite3");
    std::fs::copy(vectors::path("django_sessions.sqlite3"), &db).unwrap();
    let sessions = SessionManager::connect(django_settings(&v), async |ctx| {
        let store = DbStore::open(DbConfig::new(format!("sqlite://{}", db.display())), ctx).await?;
        store.migrate().await?; // a no-op on Django's own table
        Ok(store)
    })
    .await
    .unwrap();
    let store = sessions.store();
    let rows = v["db_rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let key = SessionKey::parse(row["session_key"].as_str().unwrap()).unwrap();
        let loaded = store.load(&key).await.unwrap();
        if row["expired"] == true {
            assert!(loaded.is_none(), "the expired row came back");
            assert!(
                store.exists(&key).await.unwrap(),
                "exists() ignores expiry, as Django's"
            );
        } else {
            let record = loaded.expect("Django's row loads");
            let mut data = record.data().clone();
            data.shift_remove("_session_expiry");
            assert_eq!(Value::Object(data), row["obj"]);
            let expected =
                session_core::expiry::parse_isoformat(row["expire_date"].as_str().unwrap())
                    .unwrap();
            assert_eq!(record.expires_at(), expected);
        }
    }
    // And Django's table takes new rows in its own format.
    let session = sessions.session(None);
    session.insert("visit", 1).await.unwrap();
    session.save().await.unwrap();
    let key = session.session_key().unwrap();
    assert_eq!(
        sessions
            .session(Some(key.as_str()))
            .get::<i64>("visit")
            .await
            .unwrap(),
        Some(1)
    );
    let expired = rows.iter().filter(|r| r["expired"] == true).count() as u64;
    assert_eq!(store.clear_expired().await.unwrap(), expired);
}

#[tokio::test]
async fn a_server_that_is_down_is_an_error_within_the_timeout() {
    let ctx = StoreContext::new(SessionSettings::new("s").unwrap());
    for url in [
        "postgres://postgres@127.0.0.1:1/test",
        "mysql://root@127.0.0.1:1/test",
    ] {
        let store = DbStore::open(
            DbConfig::new(url).acquire_timeout(Duration::from_millis(500)),
            ctx.clone(),
        )
        .await
        .unwrap();
        let started = Instant::now();
        let err = store
            .load(&SessionKey::generate())
            .await
            .expect_err("nothing listens on port 1");
        assert!(err.is_backend(), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "took {:?}",
            started.elapsed()
        );
        assert!(store.migrate().await.is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_all_succeed() {
    let ctx = StoreContext::new(SessionSettings::new("s").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let table = format!("migrate_race_{}", std::process::id());
    let urls = [
        format!("sqlite://{}", dir.path().join("m.sqlite3").display()),
        common::pg_url(),
        common::mysql_url(),
    ];
    for url in urls {
        let mut stores = Vec::new();
        for _ in 0..6 {
            let config = DbConfig::new(url.clone()).table(&table).unwrap();
            stores.push(DbStore::open(config, ctx.clone()).await.unwrap());
        }
        let racing: Vec<_> = stores
            .iter()
            .cloned()
            .map(|store| tokio::spawn(async move { store.migrate().await }))
            .collect();
        for task in racing {
            task.await.unwrap().unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let key = SessionKey::generate();
        assert!(!stores[0].exists(&key).await.unwrap());
        common::drop_table(&url, &table).await;
    }
}

#[tokio::test]
async fn identical_saves_are_not_mistaken_for_deletions() {
    // MySQL reports changed rows; saving the same bytes twice changes nothing.
    let ctx = StoreContext::new(SessionSettings::new("s").unwrap());
    let table = format!("identical_save_{}", std::process::id());
    let store = DbStore::open(
        DbConfig::new(common::mysql_url()).table(&table).unwrap(),
        ctx.clone(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let key = SessionKey::generate();
    let record = session_core::SessionRecord::new(
        serde_json::Map::new(),
        chrono::DateTime::from_timestamp(4_000_000_000, 0).unwrap(),
    );
    store.create(&key, &record).await.unwrap();
    store.save(&key, &record).await.unwrap();
    store.save(&key, &record).await.unwrap();
    store.delete(&key).await.unwrap();
    assert!(matches!(
        store.save(&key, &record).await,
        Err(session_core::Error::SessionDeleted)
    ));
    common::drop_table(&common::mysql_url(), &table).await;
}
