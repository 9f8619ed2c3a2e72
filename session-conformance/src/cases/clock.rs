//! Expiry enforced by the store, following the injected clock.

use chrono::TimeDelta;
use serde_json::json;
use session_core::Clock;

use super::support::{saved, seen};
use crate::Harness;

async fn visible(h: &Harness, key: &session_core::SessionKey) -> bool {
    let stored = h.store().load(key).await.unwrap().is_some();
    let through_session = !seen(h, key).await.is_empty();
    assert_eq!(stored, through_session, "store and session disagree");
    stored
}

/// `test_actual_expiry`: a session saved already expired is not loaded.
pub async fn actual_expiry(h: Harness) {
    let s = h.new_session();
    s.insert("foo", "bar").await.unwrap();
    s.set_expiry(TimeDelta::seconds(-10)).await.unwrap();
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    assert!(h.store().load(&key).await.unwrap().is_none());
    let again = h.session(Some(key.as_str()));
    assert!(!again.contains("foo").await.unwrap());
}

/// A session is visible one second before its expiry and gone at the exact instant.
pub async fn expired_at_exact_boundary(h: Harness) {
    let key = saved(&h, json!({"k": 1, "_session_expiry": 10})).await;
    h.clock().advance(TimeDelta::seconds(9));
    assert!(visible(&h, &key).await, "gone too early");
    h.clock().advance(TimeDelta::seconds(1));
    assert!(
        !visible(&h, &key).await,
        "still there at the expiry instant"
    );
}

/// Asserts the session is visible `seconds - 1` from now and gone at `seconds`.
async fn lives_exactly(h: &Harness, key: &session_core::SessionKey, seconds: i64) {
    h.clock().advance(TimeDelta::seconds(seconds - 1));
    assert!(visible(h, key).await, "gone too early");
    h.clock().advance(TimeDelta::seconds(1));
    assert!(!visible(h, key).await, "still there at the expiry instant");
}

/// Without a custom expiry, a session lives exactly the cookie age after its last save.
pub async fn default_age_expiry(h: Harness) {
    let key = saved(&h, json!({"k": 1})).await;
    lives_exactly(&h, &key, h.settings().cookie_age).await;
}

/// Each save restarts an integer expiry.
pub async fn save_extends_integer_expiry(h: Harness) {
    let key = saved(&h, json!({"k": 1, "_session_expiry": 60})).await;
    h.clock().advance(TimeDelta::seconds(50));
    let s = h.session(Some(key.as_str()));
    s.insert("k", 2).await.unwrap();
    s.save().await.unwrap();
    h.clock().advance(TimeDelta::seconds(50));
    assert!(
        visible(&h, &key).await,
        "the save did not extend the expiry"
    );
    h.clock().advance(TimeDelta::seconds(10));
    assert!(!visible(&h, &key).await);
}

/// A datetime expiry holds regardless of later saves.
pub async fn datetime_expiry_is_absolute(h: Harness) {
    let s = h.new_session();
    s.set_expiry(h.clock().now() + TimeDelta::seconds(100))
        .await
        .unwrap();
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    h.clock().advance(TimeDelta::seconds(60));
    let s = h.session(Some(key.as_str()));
    s.insert("touch", 1).await.unwrap();
    s.save().await.unwrap();
    h.clock().advance(TimeDelta::seconds(39));
    assert!(visible(&h, &key).await);
    h.clock().advance(TimeDelta::seconds(1));
    assert!(!visible(&h, &key).await);
}

/// A browser-close session is kept on the server for the cookie age.
pub async fn browser_close_session_lives_cookie_age(h: Harness) {
    let key = saved(&h, json!({"_session_expiry": 0})).await;
    lives_exactly(&h, &key, h.settings().cookie_age).await;
}

/// An expired session's key is not adopted: the next save makes a new key.
pub async fn expired_key_is_not_adopted(h: Harness) {
    let key = saved(&h, json!({"k": 1, "_session_expiry": 5})).await;
    h.clock().advance(TimeDelta::seconds(6));
    let s = h.session(Some(key.as_str()));
    assert!(!s.contains("k").await.unwrap());
    s.insert("fresh", 1).await.unwrap();
    s.save().await.unwrap();
    assert_ne!(s.session_key().unwrap(), key);
}

/// `clearsessions`: removes exactly the expired sessions and says how many.
pub async fn clear_expired_counts(h: Harness) {
    let live = saved(&h, json!({"_session_expiry": 3600})).await;
    let _gone = saved(&h, json!({"_session_expiry": -3600})).await;
    let _default = saved(&h, json!({})).await;
    let _soon = saved(&h, json!({"_session_expiry": 30})).await;
    h.clock().advance(TimeDelta::seconds(60));
    assert_eq!(h.store().clear_expired().await.unwrap(), 2);
    assert!(visible(&h, &live).await);
    assert_eq!(h.store().clear_expired().await.unwrap(), 0);
}

/// `clear_expired` never removes a live session, and removes expired ones for good.
pub async fn clear_expired_keeps_live_sessions(h: Harness) {
    let mut live = Vec::new();
    let mut dead = Vec::new();
    for i in 0..10 {
        live.push(saved(&h, json!({"i": i, "_session_expiry": 1000})).await);
        dead.push(saved(&h, json!({"i": i, "_session_expiry": 10})).await);
    }
    h.clock().advance(TimeDelta::seconds(11));
    assert_eq!(h.store().clear_expired().await.unwrap(), 10);
    for key in &live {
        assert!(visible(&h, key).await);
    }
    for key in &dead {
        assert!(!h.store().exists(key).await.unwrap());
    }
}

/// `clear_expired` on a store with nothing expired returns 0 and changes nothing.
pub async fn clear_expired_with_nothing_expired(h: Harness) {
    let key = saved(&h, json!({"k": 1})).await;
    assert_eq!(h.store().clear_expired().await.unwrap(), 0);
    assert!(visible(&h, &key).await);
}
