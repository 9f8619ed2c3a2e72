//! `sessions show` and `sessions clear-expired` on a SQLite database, through the binary.

use std::process::Command;

use chrono::TimeDelta;
use serde_json::Value;
use session_core::{SessionManager, SessionSettings};
use session_db::{DbConfig, DbStore};

const SECRET: &str = "cli-test-secret";

fn sessions(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sessions"))
        .args(["--engine", "db", "--database-url", url])
        .args(args)
        .env("SECRET_KEY", SECRET)
        .output()
        .unwrap()
}

#[tokio::test]
async fn show_and_clear_expired() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let settings = SessionSettings::new(SECRET).unwrap();
    let manager = SessionManager::connect(settings, async |ctx| {
        let store = DbStore::open(DbConfig::new(url.clone()), ctx).await?;
        store.migrate().await?;
        Ok(store)
    })
    .await
    .unwrap();

    let live = manager.session(None);
    live.insert("visit", 3).await.unwrap();
    live.save().await.unwrap();
    let live = live.session_key().unwrap();
    let dead = manager.session(None);
    dead.set_expiry(TimeDelta::seconds(-60)).await.unwrap();
    dead.save().await.unwrap();
    let dead = dead.session_key().unwrap();

    let out = sessions(&url, &["show", live.as_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["session_key"], live.as_str());
    assert_eq!(shown["data"]["visit"], 3);
    let expire_date =
        chrono::DateTime::parse_from_rfc3339(shown["expire_date"].as_str().unwrap()).unwrap();
    assert!(expire_date > chrono::Utc::now() + TimeDelta::days(13));

    for missing in [dead.as_str(), "abcdefgh12345678", "../../etc/passwd"] {
        let out = sessions(&url, &["show", missing]);
        assert_eq!(out.status.code(), Some(1), "{missing}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }

    let out = sessions(&url, &["clear-expired"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
    let out = sessions(&url, &["clear-expired"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
}
