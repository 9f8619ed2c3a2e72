//! Django's expiry API: `set_expiry`, `get_expiry_age`, `get_expiry_date`,
//! `get_expire_at_browser_close`.

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::json;
use session_core::{Clock, Error, Expiry, ExpiryArgs, StoredExpiry, expiry};

use super::support::saved;
use crate::Harness;

/// `test_default_expiry`: the cookie age, also after `set_expiry(0)`.
pub async fn default_expiry_is_cookie_age(h: Harness) {
    let s = h.new_session();
    let age = h.settings().cookie_age;
    assert_eq!(s.get_expiry_age().await.unwrap(), age);
    s.set_expiry(0).await.unwrap();
    assert_eq!(s.get_expiry_age().await.unwrap(), age);
}

/// `test_custom_expiry_seconds`.
pub async fn custom_expiry_seconds(h: Harness) {
    let modification = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let s = h.new_session();
    s.set_expiry(10).await.unwrap();
    let args = ExpiryArgs {
        modification: Some(modification),
        expiry: None,
    };
    assert_eq!(
        s.get_expiry_date_with(args).await.unwrap(),
        modification + TimeDelta::seconds(10)
    );
    assert_eq!(s.get_expiry_age_with(args).await.unwrap(), 10);
}

/// `test_custom_expiry_timedelta`.
pub async fn custom_expiry_timedelta(h: Harness) {
    let s = h.new_session();
    let now = h.clock().now();
    s.set_expiry(TimeDelta::seconds(10)).await.unwrap();
    assert_eq!(
        s.get_expiry_date().await.unwrap(),
        now + TimeDelta::seconds(10)
    );
    assert_eq!(s.get_expiry_age().await.unwrap(), 10);
}

/// `test_custom_expiry_datetime`: through the ISO string round trip.
pub async fn custom_expiry_datetime(h: Harness) {
    let s = h.new_session();
    let at = h.clock().now() + TimeDelta::seconds(10);
    s.set_expiry(at).await.unwrap();
    assert_eq!(s.get_expiry_date().await.unwrap(), at);
    assert_eq!(s.get_expiry_age().await.unwrap(), 10);
}

/// `test_custom_expiry_reset`.
pub async fn custom_expiry_reset(h: Harness) {
    let s = h.new_session();
    s.set_expiry(Expiry::Default).await.unwrap();
    s.set_expiry(10).await.unwrap();
    s.set_expiry(Expiry::Default).await.unwrap();
    assert_eq!(s.get_expiry_age().await.unwrap(), h.settings().cookie_age);
}

/// `set_expiry(None)` on a session without a custom expiry does not modify it.
pub async fn expiry_reset_without_custom_does_not_modify(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    let s = h.session(Some(key.as_str()));
    s.set_expiry(Expiry::Default).await.unwrap();
    assert!(!s.is_modified());
}

/// `test_get_expire_at_browser_close` with the setting off.
pub async fn browser_close_with_setting_off(h: Harness) {
    let s = h.new_session();
    s.set_expiry(10).await.unwrap();
    assert!(!s.get_expire_at_browser_close().await.unwrap());
    s.set_expiry(0).await.unwrap();
    assert!(s.get_expire_at_browser_close().await.unwrap());
    s.set_expiry(Expiry::Default).await.unwrap();
    assert!(!s.get_expire_at_browser_close().await.unwrap());
}

/// `test_get_expire_at_browser_close` with the setting on.
pub async fn browser_close_with_setting_on(h: Harness) {
    let sessions = h.reopen(|s| s.expire_at_browser_close = true).await;
    let s = sessions.session(None);
    s.set_expiry(10).await.unwrap();
    assert!(!s.get_expire_at_browser_close().await.unwrap());
    s.set_expiry(0).await.unwrap();
    assert!(s.get_expire_at_browser_close().await.unwrap());
    s.set_expiry(Expiry::Default).await.unwrap();
    assert!(s.get_expire_at_browser_close().await.unwrap());
}

/// Ages round down like Python's `timedelta.days * 86400 + timedelta.seconds`.
pub async fn expiry_age_rounds_down(h: Harness) {
    let s = h.new_session();
    let m = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let at = |ms| ExpiryArgs {
        modification: Some(m),
        expiry: Some(StoredExpiry::At(m + TimeDelta::milliseconds(ms))),
    };
    assert_eq!(s.get_expiry_age_with(at(1500)).await.unwrap(), 1);
    assert_eq!(s.get_expiry_age_with(at(-1500)).await.unwrap(), -2);
    assert!(
        !s.is_accessed(),
        "an explicit expiry must not load the session"
    );
}

/// A custom expiry is stored in the data exactly as Django stores it, and survives a save.
pub async fn custom_expiry_is_stored_like_django(h: Harness) {
    let s = h.new_session();
    let at = Utc.with_ymd_and_hms(2031, 2, 3, 4, 5, 6).unwrap() + TimeDelta::microseconds(789);
    s.set_expiry(at).await.unwrap();
    assert_eq!(
        s.get_value("_session_expiry").await.unwrap(),
        Some(json!("2031-02-03T04:05:06.000789+00:00"))
    );
    s.save().await.unwrap();
    let again = h.session(Some(s.session_key().unwrap().as_str()));
    assert_eq!(again.get_expiry_date().await.unwrap(), at);
    again.set_expiry(300).await.unwrap();
    assert_eq!(
        again.get_value("_session_expiry").await.unwrap(),
        Some(json!(300))
    );
}

/// An expiry date outside years 1 to 9999 (Python's datetime range) is a typed error, not a
/// panic, and changes nothing.
pub async fn out_of_range_expiry_is_a_typed_error(h: Harness) {
    let s = h.new_session();
    s.set_expiry(300).await.unwrap();
    for bad in [
        Expiry::Seconds(9_000_000_000_000),
        Expiry::Seconds(i64::MIN),
        Expiry::In(TimeDelta::MAX),
        Expiry::from(std::time::Duration::MAX),
        Expiry::At(chrono::DateTime::<Utc>::MAX_UTC),
    ] {
        match s.set_expiry(bad).await {
            Err(Error::InvalidExpiry(_)) => {}
            other => panic!("set_expiry({bad:?}): {other:?}"),
        }
    }
    assert_eq!(s.get_expiry_age().await.unwrap(), 300);
    s.save().await.unwrap();
}

/// A session expiring at the very end of year 9999 saves and loads, in every engine.
pub async fn far_future_expiry_round_trips(h: Harness) {
    let s = h.new_session();
    s.insert("n", 1).await.unwrap();
    s.set_expiry(expiry::LATEST).await.unwrap();
    s.save().await.unwrap();
    let again = h.session(Some(s.session_key().unwrap().as_str()));
    assert_eq!(again.get::<i64>("n").await.unwrap(), Some(1));
    assert_eq!(again.get_expiry_date().await.unwrap(), expiry::LATEST);
}

/// A stored `_session_expiry` too large for a date (written by other code) is expired,
/// never a panic.
pub async fn huge_stored_expiry_is_expired(h: Harness) {
    let s = h.new_session();
    s.insert("n", 1).await.unwrap();
    s.insert_value(expiry::EXPIRY_KEY, json!(9_000_000_000_000i64))
        .await
        .unwrap();
    assert_eq!(s.get_expiry_age().await.unwrap(), 0);
    s.save().await.unwrap();
    let again = h.session(Some(s.session_key().unwrap().as_str()));
    assert_eq!(again.get::<i64>("n").await.unwrap(), None);
}
