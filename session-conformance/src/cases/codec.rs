//! Stored data is Django's signed encoding: decoding, corrupt data, secrets and rotation.

use serde_json::json;
use session_core::signing::{Compression, TimestampSigner};
use session_core::{Clock, SESSION_SALT};

use super::support::{data, saved, seen};
use crate::Harness;
use crate::capture_logs;
use crate::env::SECRET_KEY;

/// `test_decode`.
pub async fn decode_round_trips(h: Harness) {
    let ctx = h.env().context();
    let original = data(json!({"a test key": "a test value"}));
    let encoded = ctx.encode(&original).unwrap();
    assert_eq!(ctx.decode(&encoded), Some(original));
}

/// `test_decode_failure_logged_to_security`.
pub async fn decode_failure_is_logged(h: Harness) {
    let ctx = h.env().context();
    for bad in ["Zmxhc2tkajphbGtkamY=", "bad:encoded:value"] {
        let (decoded, logs) = capture_logs(|| ctx.decode(bad));
        assert_eq!(decoded, None);
        assert!(logs.contains("WARN"), "no warning for {bad}: {logs}");
        assert!(logs.contains("Session data corrupted"), "{logs}");
        assert!(logs.contains("session_core::security"), "{logs}");
    }
}

/// `test_decode_serializer_exception`: authentic but not JSON is no session.
pub async fn decode_of_signed_non_json_is_none(h: Harness) {
    let ctx = h.env().context();
    let signer = TimestampSigner::new(SESSION_SALT, h.settings().secrets());
    let (decoded, logs) =
        capture_logs(|| ctx.decode(&signer.sign("aW52YWxpZCBkYXRh", h.clock().now())));
    assert_eq!(decoded, None);
    assert!(logs.contains("WARN"), "{logs}");
}

/// Authentic JSON that is not an object is no session.
pub async fn decode_of_non_object_is_none(h: Harness) {
    let ctx = h.env().context();
    let signer = TimestampSigner::new(SESSION_SALT, h.settings().secrets());
    for json in [json!([1, 2]), json!("text"), json!(null), json!(5)] {
        let signed =
            session_core::signing::dumps(&json, &signer, Compression::Fast, h.clock().now())
                .unwrap();
        assert_eq!(ctx.decode(&signed), None, "{json}");
    }
}

/// A session written with another secret is no session (the tampered case).
pub async fn foreign_secret_is_no_session(h: Harness) {
    let key = saved(&h, json!({"user": 1})).await;
    let other = h
        .reopen(|s| s.set_secrets(session_core::Secrets::new("another-secret").unwrap()))
        .await;
    let s = other.session(Some(key.as_str()));
    assert!(
        s.data().await.unwrap().is_empty(),
        "data signed with another key was trusted"
    );
    assert_eq!(s.session_key(), None);
}

/// Rotating `SECRET_KEY` with the old one in the fallbacks keeps sessions readable, and
/// the next save signs with the new key.
pub async fn fallback_secret_reads_old_sessions(h: Harness) {
    let key = saved(&h, json!({"user": 7})).await;
    let rotated = h
        .reopen(|s| {
            s.set_secrets(
                session_core::Secrets::new("the-new-secret")
                    .unwrap()
                    .with_fallbacks([SECRET_KEY])
                    .unwrap(),
            )
        })
        .await;
    let s = rotated.session(Some(key.as_str()));
    assert_eq!(s.get::<i64>("user").await.unwrap(), Some(7));
    s.insert("seen", true).await.unwrap();
    s.save().await.unwrap();
    let new_only = h
        .reopen(|s| s.set_secrets(session_core::Secrets::new("the-new-secret").unwrap()))
        .await;
    let s2 = new_only.session(Some(s.session_key().unwrap().as_str()));
    assert_eq!(s2.get::<i64>("user").await.unwrap(), Some(7));
    assert_eq!(s2.get::<bool>("seen").await.unwrap(), Some(true));
}

/// Unicode (accents, symbols, emoji beyond the BMP, control characters) round-trips.
pub async fn unicode_values_round_trip(h: Harness) {
    let text = "héllo wörld ☃ 😀 \u{7f} \u{0} \"quoted\" back\\slash / 中文";
    let key = saved(&h, json!({"unicode": text, "ключ": "значение"})).await;
    let got = seen(&h, &key).await;
    assert_eq!(got.get("unicode"), Some(&json!(text)));
    assert_eq!(got.get("ключ"), Some(&json!("значение")));
}

/// Nested JSON (objects in lists in objects, numbers of every kind) round-trips.
pub async fn nested_values_round_trip(h: Harness) {
    let nested = json!({
        "a": [1, 2.5, null, true, false, -0.0, 1e-7, 12345678901234u64],
        "b": {"c": {"d": [{"e": "f"}, []]}, "empty": {}},
        "big": i64::MIN,
    });
    let key = saved(&h, json!({"nested": nested})).await;
    assert_eq!(seen(&h, &key).await.get("nested"), Some(&nested));
}
