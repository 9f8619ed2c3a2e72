//! `SESSION_HASH_KEYS=true`: no live session key is anywhere in the SQLite file, the
//! session directory or Redis, while every session still loads by its key. The same run
//! with the setting off finds every key, so the search itself works.

use std::path::Path;

use clap::Parser;
use session_config::{Config, engine};
use session_core::{SessionKey, SessionManager};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

const SESSIONS: usize = 50;

fn config(args: &[&str], hash_keys: bool) -> Config {
    let hash = if hash_keys { "true" } else { "false" };
    let mut argv = vec![
        "test",
        "--secret-key",
        "hashed-keys-test-secret",
        "--hash-keys",
        hash,
    ];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap().config
}

/// Saves sessions and checks that each loads back by its key.
async fn live_keys(sessions: &SessionManager) -> Vec<SessionKey> {
    let mut keys = Vec::new();
    for n in 0..SESSIONS {
        let session = sessions.session(None);
        session.insert("n", n).await.unwrap();
        session.save().await.unwrap();
        keys.push(session.session_key().unwrap());
    }
    for (n, key) in keys.iter().enumerate() {
        let again = sessions.session(Some(key.as_str()));
        assert_eq!(again.get::<usize>("n").await.unwrap(), Some(n));
    }
    keys
}

/// How many of `keys` occur in `haystack`.
fn found(keys: &[SessionKey], haystack: &[u8]) -> usize {
    let text = String::from_utf8_lossy(haystack);
    keys.iter().filter(|k| text.contains(k.as_str())).count()
}

/// Every file name and every byte under `dir`.
fn dump_dir(dir: &Path) -> Vec<u8> {
    let mut dump = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        dump.extend_from_slice(entry.file_name().as_encoded_bytes());
        dump.push(b'\n');
        if entry.file_type().unwrap().is_file() {
            dump.extend(std::fs::read(entry.path()).unwrap());
        }
    }
    dump
}

async fn sqlite_dump(hash_keys: bool) -> (Vec<SessionKey>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let sessions = engine::manager(&config(
        &["--engine", "db", "--database-url", &url],
        hash_keys,
    ))
    .await
    .unwrap();
    let keys = live_keys(&sessions).await;
    drop(sessions);
    // The database file, its journal and write-ahead log, whatever exists.
    (keys, dump_dir(dir.path()))
}

#[tokio::test]
async fn sqlite_file_holds_no_key() {
    let (keys, dump) = sqlite_dump(true).await;
    assert_eq!(found(&keys, &dump), 0);
    let (keys, dump) = sqlite_dump(false).await;
    assert_eq!(found(&keys, &dump), SESSIONS, "the search finds plain keys");
}

async fn file_dump(hash_keys: bool) -> (Vec<SessionKey>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions");
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let args = ["--engine", "file", "--file-path", path.to_str().unwrap()];
    let sessions = engine::manager(&config(&args, hash_keys)).await.unwrap();
    let keys = live_keys(&sessions).await;
    (keys, dump_dir(&path))
}

#[tokio::test]
async fn session_directory_holds_no_key() {
    let (keys, dump) = file_dump(true).await;
    assert_eq!(found(&keys, &dump), 0);
    let (keys, dump) = file_dump(false).await;
    assert_eq!(found(&keys, &dump), SESSIONS, "the search finds plain keys");
}

async fn redis_dump(url: &str, hash_keys: bool) -> (Vec<SessionKey>, Vec<u8>) {
    let prefix = format!("hashed-keys-{}:", SessionKey::generate().as_str());
    let args = [
        "--engine",
        "cache",
        "--cache-url",
        url,
        "--cache-key-prefix",
        &prefix,
    ];
    let sessions = engine::manager(&config(&args, hash_keys)).await.unwrap();
    let keys = live_keys(&sessions).await;
    let client = redis::Client::open(url).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let names: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(names.len(), SESSIONS);
    let mut dump = Vec::new();
    for name in names {
        let value: String = redis::cmd("GET")
            .arg(&name)
            .query_async(&mut redis)
            .await
            .unwrap();
        dump.extend_from_slice(name.as_bytes());
        dump.extend_from_slice(value.as_bytes());
        let _: () = redis::cmd("DEL")
            .arg(&name)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
    (keys, dump)
}

#[tokio::test]
async fn redis_holds_no_key() {
    let Some(url) = session_test_support::services::configured("REDIS_URL") else {
        return;
    };
    let (keys, dump) = redis_dump(&url, true).await;
    assert_eq!(found(&keys, &dump), 0);
    let (keys, dump) = redis_dump(&url, false).await;
    assert_eq!(found(&keys, &dump), SESSIONS, "the search finds plain keys");
}

#[tokio::test]
async fn signed_cookies_refuse_hashed_keys() {
    let err = engine::manager(&config(&["--engine", "signed-cookies"], true))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SESSION_HASH_KEYS"), "{err}");
}
