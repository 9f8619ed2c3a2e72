//! Saving, flushing and rotating keys (`SessionTestsMixin`), for every kind of store.

use serde_json::json;

use super::support::{saved, seen};
use crate::Harness;

/// `test_save`: saving a new session gives it a key under which its data reads back.
pub async fn save_gives_new_session_a_key(h: Harness) {
    let s = h.new_session();
    assert_eq!(s.session_key(), None);
    s.insert("cat", "dog").await.unwrap();
    s.save().await.unwrap();
    let key = s.session_key().expect("key after save");
    assert_eq!(seen(&h, &key).await.get("cat"), Some(&json!("dog")));
}

/// `test_save_doesnt_clear_data`.
pub async fn save_keeps_local_data(h: Harness) {
    let s = h.new_session();
    s.insert("a", "b").await.unwrap();
    s.save().await.unwrap();
    assert_eq!(s.get::<String>("a").await.unwrap().as_deref(), Some("b"));
}

/// Saving twice updates the same session.
pub async fn second_save_updates(h: Harness) {
    let key = saved(&h, json!({"n": 1})).await;
    let s = h.session(Some(key.as_str()));
    s.insert("n", 2).await.unwrap();
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    assert_eq!(seen(&h, &key).await.get("n"), Some(&json!(2)));
}

/// An empty new session can be saved, and reads back empty.
pub async fn empty_session_saves(h: Harness) {
    let s = h.new_session();
    s.save().await.unwrap();
    let key = s.session_key().expect("key after save");
    assert!(seen(&h, &key).await.is_empty());
}

/// `test_flush`: the key is dropped, the data emptied, both flags set.
pub async fn flush_drops_key_and_data(h: Harness) {
    let key = saved(&h, json!({"foo": "bar"})).await;
    let s = h.session(Some(key.as_str()));
    s.flush().await.unwrap();
    assert_eq!(s.session_key(), None);
    assert!(s.is_modified());
    assert!(s.is_accessed());
    assert!(s.is_empty());
    assert_eq!(s.get_value("foo").await.unwrap(), None);
}

/// After a flush, saving starts a new session under a new key.
pub async fn save_after_flush_makes_new_key(h: Harness) {
    let key = saved(&h, json!({"foo": "bar"})).await;
    let s = h.session(Some(key.as_str()));
    s.flush().await.unwrap();
    s.insert("new", 1).await.unwrap();
    s.save().await.unwrap();
    let new_key = s.session_key().unwrap();
    assert_ne!(new_key, key);
    let data = seen(&h, &new_key).await;
    assert_eq!(data.get("new"), Some(&json!(1)));
    assert_eq!(data.get("foo"), None);
}

/// `test_cycle`'s data half: the same data under the key `cycle_key` gives. That the key
/// is new is a server-side promise (`cycle_key_changes_key`): a signed cookie of the same
/// data within one second is the same value, as in Django.
pub async fn cycle_key_keeps_data(h: Harness) {
    let s = h.new_session();
    s.insert("a", "c").await.unwrap();
    s.insert("b", "d").await.unwrap();
    s.save().await.unwrap();
    let before = s.items().await.unwrap();
    s.cycle_key().await.unwrap();
    let new = s.session_key().unwrap();
    assert_eq!(s.items().await.unwrap(), before);
    let stored: Vec<_> = seen(&h, &new).await.into_iter().collect();
    assert_eq!(stored, before);
}

/// `test_cycle_with_no_session_cache`: cycling a session never loaded keeps its data.
pub async fn cycle_key_loads_first(h: Harness) {
    let key = saved(&h, json!({"a": "c", "b": "d"})).await;
    let s = h.session(Some(key.as_str()));
    s.cycle_key().await.unwrap();
    let new = s.session_key().unwrap();
    assert_eq!(
        seen(&h, &new).await,
        super::support::data(json!({"a": "c", "b": "d"}))
    );
}

/// Cycling a brand-new session gives it a key.
pub async fn cycle_key_of_new_session(h: Harness) {
    let s = h.new_session();
    s.insert("x", 1).await.unwrap();
    s.cycle_key().await.unwrap();
    let key = s.session_key().expect("cycled session has a key");
    assert_eq!(seen(&h, &key).await.get("x"), Some(&json!(1)));
}

/// `test_session_load_does_not_create_record`: an unknown key is dropped on load and
/// never adopted; saving makes a different one.
pub async fn unknown_key_is_not_adopted(h: Harness) {
    let s = h.session(Some("someunknownkey"));
    assert!(s.data().await.unwrap().is_empty());
    assert_eq!(s.session_key(), None);
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    assert_ne!(key.as_str(), "someunknownkey");
}

/// Saving (without reading) a session whose key is unknown makes a fresh session instead
/// of failing or adopting the key.
pub async fn save_of_unknown_key_creates_fresh(h: Harness) {
    let s = h.session(Some("abcdefgh12345678"));
    s.insert("x", 1).await.unwrap();
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    assert_ne!(key.as_str(), "abcdefgh12345678");
    assert_eq!(seen(&h, &key).await.get("x"), Some(&json!(1)));
}

/// `test_test_cookie` (`SessionBaseTests`).
pub async fn test_cookie_trio(h: Harness) {
    let s = h.new_session();
    assert!(!s.contains("testcookie").await.unwrap());
    assert!(!s.test_cookie_worked().await.unwrap());
    s.set_test_cookie().await.unwrap();
    assert!(s.test_cookie_worked().await.unwrap());
    s.save().await.unwrap();
    let again = h.session(Some(s.session_key().unwrap().as_str()));
    assert!(again.test_cookie_worked().await.unwrap());
    assert!(again.delete_test_cookie().await.unwrap());
    assert!(again.is_modified());
    assert!(!again.contains("testcookie").await.unwrap());
    assert!(!again.delete_test_cookie().await.unwrap());
}

/// `test_is_empty` / `test_bool`: Django's emptiness rules.
pub async fn is_empty_follows_django(h: Harness) {
    let s = h.new_session();
    assert!(s.is_empty());
    s.insert("x", 1).await.unwrap();
    assert!(!s.is_empty());
    let key = saved(&h, json!({})).await;
    let s = h.session(Some(key.as_str()));
    assert!(!s.is_empty(), "a key that was not loaded yet is not empty");
    assert!(!s.is_accessed(), "is_empty must not load");
}
