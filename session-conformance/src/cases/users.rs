//! The per-user index ([`session_core::UserIndex`]): the `users` group, "log out my other
//! devices".

use chrono::TimeDelta;
use serde_json::json;
use session_core::{Error, SessionKey};

use super::support::{saved, seen};
use crate::Harness;

async fn logged_in(h: &Harness, user: &str) -> SessionKey {
    let s = h.new_session();
    s.login(user).await.expect("login");
    s.session_key().expect("a logged-in session has a key")
}

/// `login` records the user in the data, cycles the key and indexes the session.
pub async fn login_records_user_and_cycles_key(h: Harness) {
    let before = saved(&h, json!({"cart": [1]})).await;
    let s = h.session(Some(before.as_str()));
    s.login("alice").await.unwrap();
    let after = s.session_key().unwrap();
    assert_ne!(after, before, "login cycles the key");
    assert!(seen(&h, &before).await.is_empty(), "the old key is gone");
    let data = seen(&h, &after).await;
    assert_eq!(data["_auth_user_id"], "alice");
    assert_eq!(data["cart"], json!([1]));
    let sessions = h.sessions().user_sessions("alice").await.unwrap();
    assert_eq!(sessions.len(), 1);
}

/// Ending a user's other sessions keeps the current one and other users' sessions.
pub async fn end_user_sessions_keeps_current(h: Harness) {
    let here = logged_in(&h, "alice").await;
    let phone = logged_in(&h, "alice").await;
    let tablet = logged_in(&h, "alice").await;
    let bob = logged_in(&h, "bob").await;
    let ended = h
        .sessions()
        .end_user_sessions("alice", Some(&here))
        .await
        .unwrap();
    assert_eq!(ended, 2);
    assert!(seen(&h, &phone).await.is_empty());
    assert!(seen(&h, &tablet).await.is_empty());
    assert_eq!(seen(&h, &here).await["_auth_user_id"], "alice");
    assert_eq!(seen(&h, &bob).await["_auth_user_id"], "bob");
    assert_eq!(h.sessions().user_sessions("alice").await.unwrap().len(), 1);
    assert_eq!(h.sessions().user_sessions("bob").await.unwrap().len(), 1);
}

/// A session saved after login lives past the expiry it had at login, and stays in the
/// index: "log out my other devices" still ends it after that first expiry has passed.
pub async fn a_session_extended_after_login_stays_indexed(h: Harness) {
    let age = h.sessions().settings().cookie_age;
    let laptop = logged_in(&h, "dave").await;
    h.clock().advance(TimeDelta::seconds(age * 9 / 10));
    let s = h.session(Some(laptop.as_str()));
    s.insert("seen", 1).await.unwrap();
    s.save().await.unwrap();
    h.clock().advance(TimeDelta::seconds(age * 6 / 10));
    assert_eq!(
        seen(&h, &laptop).await["seen"],
        1,
        "the saved session lives on"
    );
    let phone = logged_in(&h, "dave").await;
    let ended = h
        .sessions()
        .end_user_sessions("dave", Some(&phone))
        .await
        .unwrap();
    assert_eq!(ended, 1, "the laptop's session fell out of the index");
    assert!(seen(&h, &laptop).await.is_empty());
}

/// Without a session to keep, every session of the user ends.
pub async fn end_user_sessions_ends_all(h: Harness) {
    let one = logged_in(&h, "carol").await;
    let two = logged_in(&h, "carol").await;
    assert_eq!(
        h.sessions().end_user_sessions("carol", None).await.unwrap(),
        2
    );
    assert!(seen(&h, &one).await.is_empty());
    assert!(seen(&h, &two).await.is_empty());
    assert!(
        h.sessions()
            .user_sessions("carol")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        h.sessions().end_user_sessions("carol", None).await.unwrap(),
        0
    );
}

/// A session logged out (flushed) is no longer the user's.
pub async fn logged_out_session_is_not_listed(h: Harness) {
    let key = logged_in(&h, "dave").await;
    h.session(Some(key.as_str())).flush().await.unwrap();
    assert!(h.sessions().user_sessions("dave").await.unwrap().is_empty());
}

/// An invalid user id is refused with a typed error before anything changes.
pub async fn invalid_user_id_is_refused(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    let s = h.session(Some(key.as_str()));
    for bad in ["", "two words", "../x", &"u".repeat(151)] {
        assert!(
            matches!(s.login(bad).await, Err(Error::Configuration(_))),
            "{bad:?}"
        );
        assert!(matches!(
            h.sessions().end_user_sessions(bad, None).await,
            Err(Error::Configuration(_))
        ));
    }
    assert_eq!(s.session_key(), Some(key));
}
