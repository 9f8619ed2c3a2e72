//! Property-based fuzzing of the file engine's reader: arbitrary bytes written into a file
//! named like a session (`sessionid<key>`) in a private directory, then `load`; Django's
//! session files mutated.
//!
//! Every property runs `PROPTEST_CASES` cases (256 unless set); `scripts/test` runs this
//! file again in release mode with a large count.

use std::os::unix::fs::PermissionsExt;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::Value;
use session_core::{Secrets, SessionKey, SessionSettings, SessionStore, StoreContext};
use session_file::FileStore;

use django_interop::vectors;

const BOUND: Duration = Duration::from_secs(2);

static VECTORS: LazyLock<Value> = LazyLock::new(vectors::load);

/// Django's session files: (content, data, expired).
static SEEDS: LazyLock<Vec<(Vec<u8>, Value, bool)>> = LazyLock::new(|| {
    VECTORS["file_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = vectors::path("file_sessions").join(f["file_name"].as_str().unwrap());
            (
                std::fs::read(path).unwrap(),
                f["obj"].clone(),
                f["expired"] == true,
            )
        })
        .collect()
});

/// One private directory and store for the whole binary (each case uses its own key).
static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .unwrap()
});

static STORE: LazyLock<FileStore> = LazyLock::new(|| {
    let secrets = Secrets::new(vectors::secret_key(&VECTORS))
        .unwrap()
        .with_fallbacks(vectors::fallbacks(&VECTORS))
        .unwrap();
    let ctx = StoreContext::new(SessionSettings::with_secrets(secrets));
    FileStore::new(Some(DIR.path().to_path_buf()), ctx).unwrap()
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
});

/// Writes `content` as the session file of a fresh key and loads it, within [`BOUND`].
fn load(content: &[u8]) -> Option<serde_json::Map<String, Value>> {
    let key = SessionKey::generate();
    let path = DIR.path().join(format!("sessionid{}", key.as_str()));
    std::fs::write(&path, content).unwrap();
    let start = Instant::now();
    let loaded = RUNTIME
        .block_on(STORE.load(&key))
        .expect("a corrupt file is no session, not an error");
    let took = start.elapsed();
    let _ = std::fs::remove_file(&path);
    assert!(took < BOUND, "load took {took:?}");
    loaded.map(|r| r.into_data())
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn mutated(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        let n = out.len();
        match *edit {
            Edit::Replace(i, b) if n > 0 => out[i % n] = b,
            Edit::Insert(i, b) => out.insert(i % (n + 1), b),
            Edit::Delete(i) if n > 0 => {
                out.remove(i % n);
            }
            Edit::Truncate(i) => out.truncate(i % (n + 1)),
            _ => {}
        }
    }
    out
}

proptest! {
    /// Arbitrary bytes in a session file are no session, never a panic or an error.
    #[test]
    fn arbitrary_files_are_no_session(
        content in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2000),
            "[A-Za-z0-9_:.=-]{0,200}".prop_map(String::into_bytes),
        ],
    ) {
        prop_assert_eq!(load(&content), None);
    }

    /// Django's files with edits (bytes, not only text): the same data or no session.
    #[test]
    fn mutated_django_files(
        seed in prop::sample::select(SEEDS.clone()),
        edits in prop::collection::vec(edit(), 0..5),
    ) {
        let (content, obj, expired) = seed;
        let text = mutated(&content, &edits);
        match load(&text) {
            Some(data) => {
                prop_assert!(!expired);
                prop_assert_eq!(Value::Object(data), obj);
            }
            None => prop_assert!(expired || text != content),
        }
    }
}
