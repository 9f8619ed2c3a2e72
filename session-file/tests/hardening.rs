//! The file engine in a hostile directory: entries named like sessions that are not session
//! files, a directory it may not use, and errors and logs that must not show a key.

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::TimeDelta;
use serde_json::json;
use session_conformance::{Env, capture_logs};
use session_core::{Error, SessionKey, SessionRecord, SessionStore};
use session_file::FileStore;

/// Far longer than any of these calls takes, far shorter than a hang.
const QUICK: Duration = Duration::from_secs(10);

const MIB: usize = 1 << 20;

fn store(env: &Env) -> FileStore {
    FileStore::new(Some(env.temp_dir().to_path_buf()), env.context()).unwrap()
}

fn file_of(env: &Env, key: &SessionKey) -> PathBuf {
    env.temp_dir().join(format!("sessionid{}", key.as_str()))
}

fn record(env: &Env, value: serde_json::Value) -> SessionRecord {
    let data = match json!({ "v": value }) {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    SessionRecord::new(
        data,
        env.context().now() + TimeDelta::seconds(env.settings().cookie_age),
    )
}

fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

async fn quickly<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(QUICK, call)
        .await
        .expect("the call hung")
}

/// Runs `f` on a fresh runtime, recording the log.
fn logged<T>(f: impl Future<Output = T>) -> (T, String) {
    capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
}

#[tokio::test]
async fn a_fifo_named_like_a_session_is_no_session() {
    let env = Env::new("fifo");
    let store = store(&env);
    let key = SessionKey::generate();
    mkfifo(&file_of(&env, &key));
    assert_eq!(quickly(store.load(&key)).await.unwrap(), None);
}

#[tokio::test]
async fn a_link_to_dev_zero_is_no_session() {
    let env = Env::new("dev_zero");
    let store = store(&env);
    let key = SessionKey::generate();
    std::os::unix::fs::symlink("/dev/zero", file_of(&env, &key)).unwrap();
    assert_eq!(quickly(store.load(&key)).await.unwrap(), None);
}

#[tokio::test]
async fn a_link_to_a_valid_session_is_no_session() {
    let env = Env::new("link");
    let store = store(&env);
    let real = SessionKey::generate();
    store.create(&real, &record(&env, json!(1))).await.unwrap();
    let key = SessionKey::generate();
    std::os::unix::fs::symlink(file_of(&env, &real), file_of(&env, &key)).unwrap();
    assert!(store.load(&real).await.unwrap().is_some());
    assert_eq!(store.load(&key).await.unwrap(), None);
}

/// Two MiB of text that compression cannot shrink below one.
fn noise() -> String {
    (0..2 * MIB / 32)
        .map(|_| SessionKey::generate().as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn a_session_file_over_one_mib_is_no_session() {
    let env = Env::new("oversized");
    let store = store(&env);
    let key = SessionKey::generate();
    let big = env
        .context()
        .encode(&record(&env, json!(noise())).into_data())
        .unwrap();
    assert!(big.len() > MIB);
    std::fs::write(file_of(&env, &key), big).unwrap();
    assert_eq!(quickly(store.load(&key)).await.unwrap(), None);
}

#[tokio::test]
async fn a_session_over_one_mib_is_not_written() {
    let env = Env::new("too_large");
    let store = store(&env);
    let key = SessionKey::generate();
    let err = store
        .create(&key, &record(&env, json!(noise())))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit, .. } if limit == MIB),
        "{err:?}"
    );
    assert!(!file_of(&env, &key).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_expired_skips_entries_it_cannot_read_and_clears_the_rest() {
    let env = Env::new("clear_hostile");
    let store = store(&env);
    let expired = [SessionKey::generate(), SessionKey::generate()];
    for key in &expired {
        store
            .create(key, &record(&env, json!("old")))
            .await
            .unwrap();
    }
    env.clock()
        .advance(TimeDelta::seconds(env.settings().cookie_age + 10));
    let live = SessionKey::generate();
    store
        .create(&live, &record(&env, json!("new")))
        .await
        .unwrap();

    let junk: Vec<PathBuf> = (0..5)
        .map(|_| file_of(&env, &SessionKey::generate()))
        .collect();
    mkfifo(&junk[0]);
    std::os::unix::fs::symlink("/dev/zero", &junk[1]).unwrap();
    std::fs::create_dir(&junk[2]).unwrap();
    std::fs::write(&junk[3], vec![b'a'; MIB + 1]).unwrap();
    // Unreadable unless the tests run as root; live by its modification time if they do.
    std::fs::write(&junk[4], "not a session").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&junk[4])
        .unwrap()
        .set_modified(SystemTime::from(env.context().now()))
        .unwrap();
    std::fs::set_permissions(&junk[4], std::fs::Permissions::from_mode(0o000)).unwrap();

    assert_eq!(quickly(store.clear_expired()).await.unwrap(), 2);
    for key in &expired {
        assert!(!file_of(&env, key).exists(), "{key:?} was not cleared");
    }
    assert!(store.load(&live).await.unwrap().is_some());
    for path in &junk {
        assert!(
            std::fs::symlink_metadata(path).is_ok(),
            "{path:?} was removed"
        );
    }
}

#[test]
fn errors_about_a_removed_directory_show_no_key() {
    let env = Env::new("removed_dir");
    let store = store(&env);
    let key = SessionKey::generate();
    let ((), log) = logged(async {
        store.create(&key, &record(&env, json!(1))).await.unwrap();
        std::fs::remove_dir_all(env.temp_dir()).unwrap();
        let fresh = SessionKey::generate();
        let errors = [
            (
                fresh.clone(),
                store.create(&fresh, &record(&env, json!(2))).await,
            ),
            (key.clone(), store.save(&key, &record(&env, json!(3))).await),
        ];
        for (key, result) in errors {
            let err = result.unwrap_err();
            assert!(err.is_backend(), "{err:?}");
            let text = format!("{err} {err:?}");
            assert!(!text.contains(key.as_str()), "the key shows: {text}");
            assert!(text.contains(&key.log_id()), "{text}");
        }
        let err = store.delete(&key).await.unwrap_err();
        assert!(!format!("{err} {err:?}").contains(key.as_str()));
    });
    assert!(!log.contains(key.as_str()), "{log}");
}

#[test]
fn logs_about_a_bad_session_file_show_no_key() {
    let env = Env::new("bad_file_log");
    let store = store(&env);
    let not_text = SessionKey::generate();
    std::fs::write(file_of(&env, &not_text), [0xff, 0xfe, 0x00]).unwrap();
    let fifo = SessionKey::generate();
    mkfifo(&file_of(&env, &fifo));
    let ((), log) = logged(async {
        assert_eq!(store.load(&not_text).await.unwrap(), None);
        assert_eq!(quickly(store.load(&fifo)).await.unwrap(), None);
    });
    for key in [&not_text, &fifo] {
        assert!(!log.contains(key.as_str()), "the key shows: {log}");
        assert!(log.contains(&key.log_id()), "{log}");
    }
}

#[test]
fn the_default_directory_is_private_to_the_user() {
    let env = Env::new("default_dir");
    let store = FileStore::new(None, env.context()).unwrap();
    assert_eq!(store.dir().parent(), Some(std::env::temp_dir().as_path()));
    let name = store.dir().file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("django-sessions-"), "{name}");
    let meta = std::fs::symlink_metadata(store.dir()).unwrap();
    assert!(meta.is_dir());
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
}

#[test]
fn a_directory_others_can_list_is_refused_unless_allowed() {
    let env = Env::new("shared_dir");
    let dir = env.temp_dir().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = FileStore::new(Some(dir.clone()), env.context()).unwrap_err();
    assert!(matches!(err, Error::Configuration(_)), "{err:?}");
    assert!(err.to_string().contains("mode 755"), "{err}");
    let store = FileStore::builder(env.context())
        .dir(&dir)
        .allow_shared_dir(true)
        .build()
        .unwrap();
    assert_eq!(store.dir(), dir);
}
