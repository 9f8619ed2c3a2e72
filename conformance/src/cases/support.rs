//! Small helpers the cases share.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use session_core::{SessionData, SessionKey};

use crate::Harness;

/// A JSON object literal as session data.
pub fn data(value: Value) -> SessionData {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Saves a new session holding `entries` and returns its key.
pub async fn saved(h: &Harness, entries: Value) -> SessionKey {
    let s = h.new_session();
    s.update(data(entries)).await.expect("update");
    s.save().await.expect("save of a new session");
    s.session_key().expect("a saved session has a key")
}

/// The data a fresh request with `key` sees (empty when there is no such session).
pub async fn seen(h: &Harness, key: &SessionKey) -> SessionData {
    let s = h.session(Some(key.as_str()));
    s.data().await.expect("load").as_ref().clone()
}

/// Runs `f` with a `tracing` subscriber that records everything; returns what it printed.
pub fn capture_logs<R>(f: impl FnOnce() -> R) -> (R, String) {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&sink.0.lock().unwrap()).into_owned();
    (result, text)
}
