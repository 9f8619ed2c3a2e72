//! Client-side stores (signed cookies): the key is the data.

use chrono::TimeDelta;
use serde_json::json;
use session_core::Error;

use super::support::{saved, seen};
use crate::Harness;

/// Nothing is stored server-side, so `exists` is always false.
pub async fn client_exists_is_false(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    assert!(!h.store().exists(&key).await.unwrap());
}

/// The key changes with the data and carries it: a store built afresh reads it.
pub async fn client_key_carries_the_data(h: Harness) {
    let s = h.new_session();
    s.insert("n", 1).await.unwrap();
    s.save().await.unwrap();
    let first = s.session_key().unwrap();
    s.insert("n", 2).await.unwrap();
    s.save().await.unwrap();
    let second = s.session_key().unwrap();
    assert_ne!(first, second);
    let fresh = h.reopen(|_| {}).await;
    let again = fresh.session(Some(second.as_str()));
    assert_eq!(again.get::<i64>("n").await.unwrap(), Some(2));
}

/// A cookie older than the cookie age is no session.
pub async fn client_expired_cookie_is_rejected(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    h.clock()
        .advance(TimeDelta::seconds(h.settings().cookie_age - 1));
    assert_eq!(seen(&h, &key).await.get("a"), Some(&json!(1)));
    h.clock().advance(TimeDelta::seconds(2));
    assert!(seen(&h, &key).await.is_empty());
}

/// A custom expiry is honoured on load (Django ignores it: tickets #19201 / #27775).
pub async fn client_custom_expiry_is_enforced(h: Harness) {
    let key = saved(&h, json!({"a": 1, "_session_expiry": 10})).await;
    h.clock().advance(TimeDelta::seconds(9));
    assert!(!seen(&h, &key).await.is_empty());
    h.clock().advance(TimeDelta::seconds(1));
    assert!(seen(&h, &key).await.is_empty());
}

/// Data too large for a browser cookie is a typed error at save time, and the session
/// keeps its previous key.
pub async fn client_oversized_value_is_typed_error(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    let s = h.session(Some(key.as_str()));
    // Random, so it stays over 4 KB after the compression Django's format applies
    // (a regular sequence deflates to a few hundred bytes and fits).
    let noise: String = rand::Rng::sample_iter(rand::rng(), rand::distr::Alphanumeric)
        .take(8000)
        .map(char::from)
        .collect();
    s.insert("big", noise).await.unwrap();
    let err = s.save().await.expect_err("an 8 KB cookie");
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert_eq!(s.session_key().as_ref(), Some(&key));
}

/// `clear_expired` has nothing to do.
pub async fn client_clear_expired_is_noop(h: Harness) {
    saved(&h, json!({"a": 1})).await;
    assert_eq!(h.store().clear_expired().await.unwrap(), 0);
}
