//! Small helpers the cases share.

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
