//! A real Django 5.2 and this engine share a session directory, both ways. Needs
//! `DJANGO_PYTHON` (`eval "$(scripts/django-venv)"`); see `django-interop`.

use std::os::unix::fs::PermissionsExt;

use django_interop::{DjangoPeer, Engine, sized_data};
use serde_json::{Value, json};
use session_core::{SessionData, SessionManager, SessionSettings};
use session_file::FileStore;

const SECRET: &str = "live-file-secret-key-0123456789";

use django_interop::tricky_data as data;

/// Rust and Django over one fresh directory with the same secret.
struct Shared {
    dir: tempfile::TempDir,
    rust: SessionManager,
    django: DjangoPeer,
}

impl Shared {
    fn new(django: DjangoPeer) -> Self {
        let dir = tempfile::Builder::new()
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .unwrap();
        let settings = SessionSettings::new(SECRET).unwrap();
        let rust = SessionManager::build(settings, |ctx| {
            FileStore::new(Some(dir.path().to_path_buf()), ctx)
        })
        .unwrap();
        Shared {
            rust,
            django: django.secret_key(SECRET),
            dir,
        }
    }

    fn engine(&self) -> Engine {
        Engine::File(self.dir.path().to_path_buf())
    }

    async fn rust_reads(&self, key: &str) -> Option<SessionData> {
        let session = self.rust.session(Some(key));
        let data = session.data().await.unwrap();
        session.session_key().map(|_| data.as_ref().clone())
    }
}

#[tokio::test]
async fn django_reads_and_updates_what_rust_writes() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let shared = Shared::new(django);
    let session = shared.rust.session(None);
    session.update(data()).await.unwrap();
    session.save().await.unwrap();
    let key = session.session_key().unwrap();
    assert_eq!(
        shared.django.read(&shared.engine(), key.as_str()),
        Some(data())
    );

    session.insert("step", 2).await.unwrap();
    session.save().await.unwrap();
    let mut expected = data();
    expected.insert("step".into(), json!(2));
    assert_eq!(
        shared.django.read(&shared.engine(), key.as_str()),
        Some(expected)
    );

    session.flush().await.unwrap();
    assert_eq!(shared.django.read(&shared.engine(), key.as_str()), None);
}

#[tokio::test]
async fn rust_reads_and_updates_what_django_writes() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let shared = Shared::new(django);
    let key = shared.django.write(&shared.engine(), &data());
    assert!(shared.dir.path().join(format!("sessionid{key}")).is_file());
    assert_eq!(shared.rust_reads(&key).await, Some(data()));

    let session = shared.rust.session(Some(&key));
    assert_eq!(session.get_expiry_age().await.unwrap(), 600);
    session.insert("seen_by", "rust").await.unwrap();
    session.save().await.unwrap();
    assert_eq!(session.session_key().unwrap().as_str(), key);
    let read_back = shared.django.read(&shared.engine(), &key).unwrap();
    assert_eq!(read_back.get("seen_by"), Some(&Value::from("rust")));
    assert_eq!(read_back.get("cart"), data().get("cart"));
}

/// The default (fast) compression against Django, both ways, from about 50 bytes of JSON
/// (never compressed) to 16 KiB, of text (deflated by zlib-rs) and of random characters.
#[tokio::test]
async fn sized_sessions_cross_both_ways() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let shared = Shared::new(django);
    for bytes in [50, 2048, 16384] {
        for compressible in [true, false] {
            let data = sized_data(bytes, compressible);
            let what = format!("{bytes} bytes, compressible: {compressible}");
            let session = shared.rust.session(None);
            session.update(data.clone()).await.unwrap();
            session.save().await.unwrap();
            let key = session.session_key().unwrap();
            let file = shared.dir.path().join(format!("sessionid{}", key.as_str()));
            let stored = std::fs::read_to_string(file).unwrap();
            match (bytes, compressible) {
                (50, _) => assert!(!stored.starts_with('.'), "too small to deflate: {stored}"),
                (_, true) => assert!(stored.starts_with('.'), "deflated, {what}"),
                // Random characters: deflated only if level 1 happens to gain two bytes.
                (_, false) => {}
            }
            assert_eq!(
                shared.django.read(&shared.engine(), key.as_str()),
                Some(data.clone()),
                "Django reads ours, {what}"
            );
            let from_django = shared.django.write(&shared.engine(), &data);
            assert_eq!(
                shared.rust_reads(&from_django).await,
                Some(data),
                "we read Django's, {what}"
            );
        }
    }
}

#[tokio::test]
async fn both_sides_agree_on_expiry_and_secrets() {
    let Some(django) = DjangoPeer::get() else {
        return;
    };
    let shared = Shared::new(django);
    let expired = json!({"a": 1, "_session_expiry": "2001-02-03T04:05:06.000007+00:00"});
    let key = shared
        .django
        .write(&shared.engine(), expired.as_object().unwrap());
    assert_eq!(shared.rust_reads(&key).await, None);

    let key = shared.django.write(&shared.engine(), &data());
    let stranger = shared.django.clone().secret_key("another-secret");
    // Django's file backend keeps the key of a file it cannot verify and shows it empty.
    assert_eq!(
        stranger.read(&shared.engine(), &key),
        Some(SessionData::new())
    );
    assert_eq!(shared.rust_reads(&key).await, Some(data()));
}
