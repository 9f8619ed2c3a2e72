//! Issue 15's "done when", through the `sessions` binary: 1,000 sessions made on the file
//! engine are copied to SQLite and then to Redis; each store counts 1,000 and shows the
//! same data and expiry; a second copy changes nothing; `list`, `delete` and the errors of
//! engines that cannot list.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use session_core::{SessionKey, SessionManager, SessionSettings};
use session_file::FileStore;

const SECRET: &str = "cli-copy-test-secret";
const SESSIONS: usize = 1000;

/// `sessions` with `engine` settings (`--engine ... --...`) and `args`; panics on failure.
fn sessions(engine: &[&str], args: &[&str]) -> String {
    let out = run(engine, args);
    assert!(
        out.status.success(),
        "sessions {engine:?} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run(engine: &[&str], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessions"))
        .args(engine)
        .args(args)
        .env("SECRET_KEY", SECRET)
        .env_remove("SESSION_ENGINE")
        .env_remove("DATABASE_URL")
        .env_remove("CACHE_URL")
        .output()
        .unwrap()
}

/// `sessions show KEY` as (data, expire_date).
fn show(engine: &[&str], key: &str) -> (Value, DateTime<Utc>) {
    let shown: Value = serde_json::from_str(&sessions(engine, &["show", key])).unwrap();
    let expires = DateTime::parse_from_rfc3339(shown["expire_date"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    (shown["data"].clone(), expires)
}

async fn make_file_sessions(dir: &Path) -> Vec<SessionKey> {
    let settings = SessionSettings::new(SECRET).unwrap();
    let sessions =
        SessionManager::build(settings, |ctx| FileStore::new(Some(dir.to_owned()), ctx)).unwrap();
    let mut keys = Vec::with_capacity(SESSIONS);
    for n in 0..SESSIONS {
        let session = sessions.session(None);
        session.insert("n", n).await.unwrap();
        session.insert("name", format!("user {n} ✓")).await.unwrap();
        if n % 10 == 0 {
            // A custom expiry, so copies must keep each session's own.
            session.set_expiry(TimeDelta::hours(3)).await.unwrap();
        }
        session.save().await.unwrap();
        keys.push(session.session_key().unwrap());
    }
    // One expired session: counted nowhere, copied nowhere.
    let expired = sessions.session(None);
    expired.set_expiry(TimeDelta::seconds(-10)).await.unwrap();
    expired.save().await.unwrap();
    keys
}

/// Removes the test's keys from the shared Redis.
async fn forget(redis_url: &str, prefix: &str) {
    let client = redis::Client::open(redis_url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    for key in keys {
        let _: () = redis::cmd("DEL")
            .arg(key)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn file_to_sqlite_to_redis_keeps_every_session() {
    let Some(redis_url) = session_test_support::services::configured("REDIS_URL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::set_permissions(&files, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let keys = make_file_sessions(&files).await;
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let prefix = format!("cli-copy-{}:", SessionKey::generate().as_str());

    let file = ["--engine", "file", "--file-path", files.to_str().unwrap()];
    let db = ["--engine", "db", "--database-url", &sqlite];
    let cache = [
        "--engine",
        "cache",
        "--cache-url",
        &redis_url,
        "--cache-key-prefix",
        &prefix,
    ];

    let to_db = ["copy", "--to-engine", "db", "--to-database-url", &sqlite];
    let to_redis = [
        "copy",
        "--to-engine",
        "cache",
        "--to-cache-url",
        &redis_url,
        "--to-cache-key-prefix",
        &prefix,
    ];
    let checks = async {
        assert_eq!(sessions(&file, &["count"]).trim(), "1000");
        assert_eq!(
            sessions(&file, &to_db).trim(),
            "copied 1000, updated 0, unchanged 0, skipped as expired 1, failed 0"
        );
        assert_eq!(sessions(&db, &["count"]).trim(), "1000");
        assert_eq!(
            sessions(&db, &to_redis).trim(),
            "copied 1000, updated 0, unchanged 0, skipped as expired 0, failed 0"
        );
        assert_eq!(sessions(&cache, &["count"]).trim(), "1000");

        for key in keys.iter().step_by(97) {
            let (data, expires) = show(&file, key.as_str());
            assert_eq!(data["name"], format!("user {} ✓", data["n"]));
            for engine in [&db[..], &cache[..]] {
                let (copied, copied_expires) = show(engine, key.as_str());
                assert_eq!(copied, data, "{engine:?}");
                assert!(
                    (copied_expires - expires).num_milliseconds().abs() < 1000,
                    "{engine:?}: {copied_expires} for {expires}"
                );
            }
        }

        // A second run changes nothing.
        assert_eq!(
            sessions(&file, &to_db).trim(),
            "copied 0, updated 0, unchanged 1000, skipped as expired 1, failed 0"
        );
        assert_eq!(
            sessions(&db, &to_redis).trim(),
            "copied 0, updated 0, unchanged 1000, skipped as expired 0, failed 0"
        );
        assert_eq!(sessions(&cache, &["count"]).trim(), "1000");
    };
    if let Err(panic) = forgetting_after(checks, &redis_url, &prefix).await {
        std::panic::resume_unwind(panic);
    }
}

/// Runs `checks`, then removes the test's Redis keys, passed or failed.
async fn forgetting_after(
    checks: impl std::future::Future<Output = ()>,
    redis_url: &str,
    prefix: &str,
) -> std::thread::Result<()> {
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(checks)).await;
    forget(redis_url, prefix).await;
    outcome
}

#[tokio::test]
async fn a_changed_session_is_updated_by_the_next_copy() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::set_permissions(&files, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let settings = SessionSettings::new(SECRET).unwrap();
    let manager =
        SessionManager::build(settings, |ctx| FileStore::new(Some(files.clone()), ctx)).unwrap();
    let session = manager.session(None);
    session.insert("cart", 1).await.unwrap();
    session.save().await.unwrap();
    let key = session.session_key().unwrap();

    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let file = ["--engine", "file", "--file-path", files.to_str().unwrap()];
    let db = ["--engine", "db", "--database-url", &sqlite];
    let to_db = ["copy", "--to-engine", "db", "--to-database-url", &sqlite];
    sessions(&file, &to_db);

    let session = manager.session(Some(key.as_str()));
    session.insert("cart", 2).await.unwrap();
    session.save().await.unwrap();
    assert_eq!(
        sessions(&file, &to_db).trim(),
        "copied 0, updated 1, unchanged 0, skipped as expired 0, failed 0"
    );
    assert_eq!(show(&db, key.as_str()).0["cart"], 2);

    // list: short keys by default, whole ones on request; delete.
    let listed = sessions(&db, &["list"]);
    assert!(!listed.contains(key.as_str()), "{listed}");
    assert!(
        listed.starts_with(&format!("{}…\t", &key.as_str()[..8])),
        "{listed}"
    );
    assert!(sessions(&db, &["list", "--show-keys"]).contains(key.as_str()));
    assert_eq!(sessions(&db, &["delete", key.as_str()]).trim(), "1");
    assert_eq!(sessions(&db, &["delete", key.as_str()]).trim(), "0");
    assert_eq!(sessions(&db, &["count"]).trim(), "0");
    assert_eq!(sessions(&db, &["list"]).trim(), "");
}

#[test]
fn refusals_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let db = ["--engine", "db", "--database-url", &sqlite];
    let cases: [(&[&str], &[&str], &str); 3] = [
        (
            &["--engine", "signed-cookies"],
            &["count"],
            "cannot list or count",
        ),
        (
            &db,
            &["copy", "--to-engine", "db"],
            "the target is the source",
        ),
        (
            &db,
            &["copy", "--to-engine", "signed-cookies"],
            "server-side engine",
        ),
    ];
    for (engine, args, message) in cases {
        let out = run(engine, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
