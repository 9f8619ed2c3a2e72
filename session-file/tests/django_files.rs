//! The session files a real Django 5.2 wrote (`testdata/django/file_sessions`), read by the
//! file engine: every live one with its data, the expired one as no session (and removed by
//! `clear_expired`); and the engine's own files are private.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;
use session_core::{
    Secrets, SessionKey, SessionManager, SessionSettings, SessionStore, StoreContext,
};
use session_file::FileStore;

use django_interop::vectors::{self, load as vectors};

/// A directory the file engine accepts: private.
fn private_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .unwrap()
}

/// Django's files in a fresh directory. Git keeps no modification times, so they are
/// written now, as if Django had just saved them.
fn django_dir() -> tempfile::TempDir {
    let dir = private_dir();
    let source = vectors::path("file_sessions");
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn context(v: &Value) -> StoreContext {
    let secrets = Secrets::new(vectors::secret_key(v))
        .unwrap()
        .with_fallbacks(vectors::fallbacks(v))
        .unwrap();
    StoreContext::new(SessionSettings::with_secrets(secrets))
}

fn store(v: &Value, dir: &Path) -> FileStore {
    FileStore::new(Some(dir.to_path_buf()), context(v)).unwrap()
}

#[tokio::test]
async fn reads_every_file_django_wrote() {
    let v = vectors();
    let dir = django_dir();
    let store = store(&v, dir.path());
    let files = v["file_sessions"].as_array().unwrap();
    assert_eq!(files.len(), 8);
    let mut expired = 0;
    for file in files {
        let key = SessionKey::parse(file["session_key"].as_str().unwrap()).unwrap();
        let loaded = store.load(&key).await.unwrap();
        if file["expired"] == true {
            expired += 1;
            assert_eq!(loaded, None, "{key:?} expired");
        } else {
            let mut data = loaded
                .unwrap_or_else(|| panic!("{key:?}: no session"))
                .into_data();
            data.shift_remove("_session_expiry");
            assert_eq!(Value::Object(data), file["obj"], "{key:?}");
        }
    }
    assert_eq!(expired, 1);
    assert_eq!(store.clear_expired().await.unwrap(), 1);
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(left, files.len() - 1);
}

#[tokio::test]
async fn session_files_are_private() {
    let v = vectors();
    let dir = private_dir();
    let sessions = SessionManager::build(context(&v), |ctx| {
        FileStore::new(Some(dir.path().to_path_buf()), ctx)
    })
    .unwrap();
    let session = sessions.session(None);
    session.insert("secret", "value").await.unwrap();
    session.save().await.unwrap();
    let key = session.session_key().unwrap();
    let path = dir.path().join(format!("sessionid{}", key.as_str()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    session.insert("secret", "changed").await.unwrap();
    session.save().await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "after an update: {mode:o}");
}
