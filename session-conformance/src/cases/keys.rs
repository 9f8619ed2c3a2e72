//! Keys that must never be adopted or reach storage.

use serde_json::json;

use super::support::seen;
use crate::Harness;

/// A key from a client that is not valid for this store is treated as no key: it is
/// dropped, and saving makes a fresh valid one.
async fn never_adopted(h: &Harness, hostile: &str) {
    let s = h.session(Some(hostile));
    assert_eq!(s.session_key(), None, "the invalid key was kept");
    assert!(s.data().await.unwrap().is_empty());
    s.insert("x", 1).await.unwrap();
    s.save().await.unwrap();
    let key = s.session_key().unwrap();
    assert_ne!(key.as_str(), hostile);
    assert_eq!(seen(h, &key).await.get("x"), Some(&json!(1)));
}

/// Server-side stores refuse the key outright, before any storage operation.
async fn rejected(h: &Harness, hostile: &str) {
    assert!(
        h.store().parse_key(hostile).is_err(),
        "the store accepted the key {:?}",
        hostile.chars().take(60).collect::<String>()
    );
    never_adopted(h, hostile).await;
}

/// `test_invalid_key`: key "1" is replaced on save.
pub async fn invalid_key_is_replaced(h: Harness) {
    never_adopted(&h, "1").await;
}

/// `test_session_key_empty_string_invalid`.
pub async fn empty_key_is_no_key(h: Harness) {
    assert_eq!(h.session(Some("")).session_key(), None);
}

/// `test_session_key_too_short_invalid`: 7 characters.
pub async fn seven_char_key_is_no_key(h: Harness) {
    assert_eq!(h.session(Some("1234567")).session_key(), None);
}

/// `test_session_key_valid_string_saved`: 8 characters are kept (until a load finds no
/// such session).
pub async fn eight_char_key_is_kept(h: Harness) {
    let s = h.session(Some("12345678"));
    assert_eq!(
        s.session_key().map(|k| k.as_str().to_owned()).as_deref(),
        Some("12345678")
    );
}

/// Path traversal.
pub async fn hostile_key_path_traversal(h: Harness) {
    rejected(&h, "../../etc/passwd").await;
}

/// Backslashes (`test_invalid_key_backslash`).
pub async fn hostile_key_backslash(h: Harness) {
    rejected(&h, "a\\b\\c\\d\\e\\f").await;
}

/// The empty key.
pub async fn hostile_key_empty(h: Harness) {
    rejected(&h, "").await;
}

/// Seven characters, one short of Django's minimum.
pub async fn hostile_key_seven_chars(h: Harness) {
    rejected(&h, "abcdefg").await;
}

/// 41 characters, one over the column width.
pub async fn hostile_key_41_chars(h: Harness) {
    rejected(&h, &"a".repeat(41)).await;
}

/// Upper case: keys must not depend on case (case-insensitive file systems and collations).
pub async fn hostile_key_upper_case(h: Harness) {
    rejected(&h, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF").await;
}

/// An embedded NUL.
pub async fn hostile_key_nul(h: Harness) {
    rejected(&h, "abcdefgh\0ijklmnop").await;
}

/// 10 KB of valid characters.
pub async fn hostile_key_10_kb(h: Harness) {
    rejected(&h, &"a".repeat(10_240)).await;
}

/// `test_load_overlong_key`: Django's 1,240-character key of letters and digits.
pub async fn hostile_key_overlong_mixed(h: Harness) {
    let key = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".repeat(20);
    rejected(&h, &key).await;
}

/// Spaces, quotes and SQL.
pub async fn hostile_key_sql(h: Harness) {
    rejected(&h, "x' OR '1'='1").await;
}

/// Cache-protocol injection (memcached commands are line based).
pub async fn hostile_key_cache_injection(h: Harness) {
    rejected(&h, "abcdefgh\r\nflush_all\r\n").await;
}
