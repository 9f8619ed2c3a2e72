//! A real Django 5.2 and this engine share a session table, both ways, on SQLite and
//! PostgreSQL. Needs `DJANGO_PYTHON` (`eval "$(scripts/django-venv)"`); see
//! `django-interop`. PostgreSQL runs in a schema the test creates and drops.

mod common;

use django_interop::{DjangoPeer, Engine, sized_data};
use serde_json::{Value, json};
use session_core::{SessionData, SessionManager, SessionSettings};
use session_db::{DbConfig, DbStore};
use sqlx::AssertSqlSafe;

const SECRET: &str = "live-db-secret-key-0123456789";

use django_interop::tricky_data as data;

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{nanos}", std::process::id())
}

async fn rust_sessions(config: DbConfig) -> SessionManager {
    let settings = SessionSettings::new(SECRET).unwrap();
    SessionManager::connect(settings, async |ctx| {
        let store = DbStore::open(config, ctx).await?;
        store.migrate().await?;
        Ok(store)
    })
    .await
    .unwrap()
}

async fn rust_reads(rust: &SessionManager, key: &str) -> Option<SessionData> {
    let session = rust.session(Some(key));
    let data = session.data().await.unwrap();
    session.session_key().map(|_| data.as_ref().clone())
}

/// Rust writes, Django reads; Django writes, Rust reads and updates, Django sees the
/// update; Rust deletes, Django sees nothing; an expired row is gone on both sides.
async fn both_directions(rust: &SessionManager, django: &DjangoPeer, engine: &Engine) {
    let session = rust.session(None);
    session.update(data()).await.unwrap();
    session.save().await.unwrap();
    let key = session.session_key().unwrap();
    assert_eq!(django.read(engine, key.as_str()), Some(data()));

    let from_django = django.write(engine, &data());
    assert_eq!(rust_reads(rust, &from_django).await, Some(data()));
    let session = rust.session(Some(&from_django));
    assert_eq!(session.get_expiry_age().await.unwrap(), 600);
    session.insert("seen_by", "rust").await.unwrap();
    session.save().await.unwrap();
    let read_back = django.read(engine, &from_django).unwrap();
    assert_eq!(read_back.get("seen_by"), Some(&Value::from("rust")));

    session.flush().await.unwrap();
    assert_eq!(django.read(engine, &from_django), None);
    assert_eq!(django.read(engine, key.as_str()), Some(data()));

    let expired = json!({"a": 1, "_session_expiry": "2001-02-03T04:05:06+00:00"});
    let key = django.write(engine, expired.as_object().unwrap());
    assert_eq!(rust_reads(rust, &key).await, None);
}

#[tokio::test]
async fn sqlite_table_shared_with_django() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("live.sqlite3").display());
    let table = "live_sessions";
    let rust = rust_sessions(DbConfig::new(&url).table(table).unwrap()).await;
    let engine = Engine::Db {
        url,
        schema: None,
        table: Some(table.into()),
    };
    both_directions(&rust, &django.secret_key(SECRET), &engine).await;
}

/// The default (fast) compression against Django, both ways, from about 50 bytes of JSON
/// (never compressed) to 16 KiB, of text (deflated by zlib-rs) and of random characters.
async fn sized_both_ways(rust: &SessionManager, django: &DjangoPeer, engine: &Engine) {
    for bytes in [50, 2048, 16384] {
        for compressible in [true, false] {
            let data = sized_data(bytes, compressible);
            let what = format!("{bytes} bytes, compressible: {compressible}");
            let session = rust.session(None);
            session.update(data.clone()).await.unwrap();
            session.save().await.unwrap();
            let key = session.session_key().unwrap();
            assert_eq!(
                django.read(engine, key.as_str()),
                Some(data.clone()),
                "Django reads ours, {what}"
            );
            let from_django = django.write(engine, &data);
            assert_eq!(
                rust_reads(rust, &from_django).await,
                Some(data),
                "we read Django's, {what}"
            );
        }
    }
}

#[tokio::test]
async fn sized_sessions_in_a_sqlite_table_shared_with_django() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sized.sqlite3").display());
    let rust = rust_sessions(DbConfig::new(&url)).await;
    let engine = Engine::db(&url);
    sized_both_ways(&rust, &django.secret_key(SECRET), &engine).await;
}

#[tokio::test]
async fn sqlite_table_created_by_django() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let django = django.secret_key(SECRET);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("django.sqlite3").display());
    let engine = Engine::db(&url);
    django.migrate(&engine);
    let rust = rust_sessions(DbConfig::new(&url)).await;
    both_directions(&rust, &django, &engine).await;
}

#[tokio::test]
async fn postgres_table_shared_with_django() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let Some(pg_url) = common::required("PG_URL") else {
        return;
    };
    let schema = unique("live_django");
    let admin = sqlx::PgPool::connect(&pg_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at PG_URL is unreachable: {e}"));
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&admin)
        .await
        .unwrap();

    let separator = if pg_url.contains('?') { '&' } else { '?' };
    let rust_url = format!("{pg_url}{separator}options=-c%20search_path%3D{schema}");
    let engine = Engine::Db {
        url: pg_url.clone(),
        schema: Some(schema.clone()),
        table: None,
    };
    let django = django.secret_key(SECRET);
    // Run in a task so the schema is dropped even when an assertion fails.
    let outcome = tokio::spawn(async move {
        let rust = rust_sessions(DbConfig::new(rust_url)).await;
        both_directions(&rust, &django, &engine).await;
        sized_both_ways(&rust, &django, &engine).await;
    })
    .await;

    // Both sides worked inside the schema, not in the database's default one.
    let rows: Result<i64, _> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{schema}\".django_session"
    )))
    .fetch_one(&admin)
    .await;
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
    match outcome {
        Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
        Err(failure) => panic!("the interop task did not finish: {failure}"),
        Ok(()) => assert!(rows.unwrap() >= 2, "no sessions in schema {schema}"),
    }
}
