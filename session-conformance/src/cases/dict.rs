//! Django's dictionary API and its accessed/modified flags (`SessionTestsMixin`).

use serde_json::{Value, json};

use super::support::{data, saved, seen};
use crate::Harness;

/// `test_new_session`: a fresh handle is neither accessed nor modified.
pub async fn new_session_is_untouched(h: Harness) {
    let s = h.new_session();
    assert!(!s.is_modified());
    assert!(!s.is_accessed());
}

/// `test_get_empty`.
pub async fn get_empty(h: Harness) {
    let s = h.new_session();
    assert_eq!(s.get_value("cat").await.unwrap(), None);
    assert!(s.is_accessed());
    assert!(!s.is_modified());
}

/// `test_store`: setting marks modified; pop gives the value back.
pub async fn store_marks_modified(h: Harness) {
    let s = h.new_session();
    s.insert("cat", "dog").await.unwrap();
    assert!(s.is_modified());
    assert_eq!(
        s.pop::<String>("cat").await.unwrap().as_deref(),
        Some("dog")
    );
}

/// `test_pop`: the value comes back, the key is gone, the session is modified.
pub async fn pop_returns_value(h: Harness) {
    let key = saved(&h, json!({"some key": "exists"})).await;
    let s = h.session(Some(key.as_str()));
    assert_eq!(
        s.pop::<String>("some key").await.unwrap().as_deref(),
        Some("exists")
    );
    assert!(s.is_accessed());
    assert!(s.is_modified());
    assert_eq!(s.get_value("some key").await.unwrap(), None);
}

/// `test_pop_default`: a missing key gives the default and does not modify.
pub async fn pop_default_does_not_modify(h: Harness) {
    let s = h.new_session();
    let got = s
        .pop_or("some key", "does not exist".to_owned())
        .await
        .unwrap();
    assert_eq!(got, "does not exist");
    assert!(s.is_accessed());
    assert!(!s.is_modified());
}

/// `test_pop_no_default_keyerror_raised`: a missing key without default is `None`.
pub async fn pop_missing_is_none(h: Harness) {
    let s = h.new_session();
    assert_eq!(s.pop::<Value>("some key").await.unwrap(), None);
    assert!(!s.is_modified());
}

/// `test_setdefault`: the first value wins.
pub async fn setdefault_keeps_first_value(h: Harness) {
    let s = h.new_session();
    assert_eq!(s.setdefault("foo", "bar".to_owned()).await.unwrap(), "bar");
    assert_eq!(s.setdefault("foo", "baz".to_owned()).await.unwrap(), "bar");
    assert!(s.is_accessed());
    assert!(s.is_modified());
}

/// `test_update`: the values are there and the session is modified.
pub async fn update_sets_values(h: Harness) {
    let s = h.new_session();
    s.update(data(json!({"update key": 1}))).await.unwrap();
    assert!(s.is_accessed());
    assert!(s.is_modified());
    assert_eq!(s.get::<i64>("update key").await.unwrap(), Some(1));
}

/// Django's `update({})` marks the session modified even though nothing changed.
pub async fn empty_update_still_modifies(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    let s = h.session(Some(key.as_str()));
    s.update(Vec::<(String, Value)>::new()).await.unwrap();
    assert!(s.is_modified());
}

/// `test_has_key`: membership reads, it does not modify.
pub async fn contains_only_accesses(h: Harness) {
    let key = saved(&h, json!({"some key": 1})).await;
    let s = h.session(Some(key.as_str()));
    assert!(s.contains("some key").await.unwrap());
    assert!(!s.contains("other key").await.unwrap());
    assert!(s.is_accessed());
    assert!(!s.is_modified());
}

/// `test_values`.
pub async fn values_only_access(h: Harness) {
    let s = h.new_session();
    assert_eq!(s.values().await.unwrap(), Vec::<Value>::new());
    assert!(s.is_accessed());
    let key = saved(&h, json!({"some key": 1})).await;
    let s = h.session(Some(key.as_str()));
    assert_eq!(s.values().await.unwrap(), vec![json!(1)]);
    assert!(s.is_accessed());
    assert!(!s.is_modified());
}

/// `test_keys`.
pub async fn keys_only_access(h: Harness) {
    let key = saved(&h, json!({"x": 1})).await;
    let s = h.session(Some(key.as_str()));
    assert_eq!(s.keys().await.unwrap(), vec!["x".to_owned()]);
    assert!(s.is_accessed());
    assert!(!s.is_modified());
}

/// `test_items`.
pub async fn items_only_access(h: Harness) {
    let key = saved(&h, json!({"x": 1})).await;
    let s = h.session(Some(key.as_str()));
    assert_eq!(s.items().await.unwrap(), vec![("x".to_owned(), json!(1))]);
    assert!(s.is_accessed());
    assert!(!s.is_modified());
}

/// `test_clear`: the data is emptied, accessed and modified, and the key is kept.
pub async fn clear_empties_and_keeps_key(h: Harness) {
    let key = saved(&h, json!({"x": 1})).await;
    let s = h.session(Some(key.as_str()));
    s.clear();
    assert!(s.is_accessed());
    assert!(s.is_modified());
    assert_eq!(s.items().await.unwrap(), vec![]);
    assert_eq!(s.session_key().as_ref(), Some(&key));
    assert!(
        !s.is_empty(),
        "a cleared session keeps its key, so it is not empty"
    );
}

/// A cleared and saved session reads back empty.
pub async fn clear_then_save_persists_empty(h: Harness) {
    let key = saved(&h, json!({"x": 1})).await;
    let s = h.session(Some(key.as_str()));
    s.clear();
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    assert!(seen(&h, &key).await.is_empty());
}

/// Removing a key that is not there leaves the session unmodified.
pub async fn remove_missing_does_not_modify(h: Harness) {
    let key = saved(&h, json!({"x": 1})).await;
    let s = h.session(Some(key.as_str()));
    assert_eq!(s.pop_value("nope").await.unwrap(), None);
    assert!(!s.is_modified());
    assert_eq!(s.pop_value("x").await.unwrap(), Some(json!(1)));
    assert!(s.is_modified());
}

/// Setting an existing key replaces its value.
pub async fn insert_overwrites(h: Harness) {
    let s = h.new_session();
    s.insert("k", 1).await.unwrap();
    s.insert("k", 2).await.unwrap();
    assert_eq!(s.get::<i64>("k").await.unwrap(), Some(2));
    assert_eq!(s.len().await.unwrap(), 1);
}

/// Keys keep their insertion order through a save and a load, as a Python dict.
pub async fn key_order_is_preserved(h: Harness) {
    let key = saved(&h, json!({"zeta": 1, "alpha": 2, "mid": 3})).await;
    let s = h.session(Some(key.as_str()));
    s.pop_value("alpha").await.unwrap();
    s.insert("beta", 4).await.unwrap();
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    let keys: Vec<String> = seen(&h, &key).await.keys().cloned().collect();
    assert_eq!(keys, ["zeta", "mid", "beta"]);
}

/// Typed values round-trip through serde.
pub async fn typed_values_round_trip(h: Harness) {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Cart {
        items: Vec<(String, u32)>,
        coupon: Option<String>,
    }
    let cart = Cart {
        items: vec![("apple".into(), 3), ("pear".into(), 1)],
        coupon: None,
    };
    let s = h.new_session();
    s.insert("cart", &cart).await.unwrap();
    s.save().await.unwrap();
    let s = h.session(Some(s.session_key().unwrap().as_str()));
    assert_eq!(s.get::<Cart>("cart").await.unwrap(), Some(cart));
}

/// Asking for the wrong type is an error, not a panic and not a silent `None`.
pub async fn typed_get_of_wrong_type_is_error(h: Harness) {
    let s = h.new_session();
    s.insert("n", "not a number").await.unwrap();
    assert!(s.get::<i64>("n").await.is_err());
}

/// `len` and the data snapshot agree with what was stored.
pub async fn len_and_snapshot(h: Harness) {
    let key = saved(&h, json!({"a": 1, "b": [1, 2]})).await;
    let s = h.session(Some(key.as_str()));
    assert_eq!(s.len().await.unwrap(), 2);
    assert_eq!(*s.data().await.unwrap(), data(json!({"a": 1, "b": [1, 2]})));
}
