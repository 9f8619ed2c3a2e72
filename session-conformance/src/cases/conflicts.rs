//! `SESSION_CONFLICTS=detect`: a save succeeds only if the stored session is still the one
//! the request loaded, and `Session::modify` never loses an update.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use session_core::{Clock, Conflicts, Error, SessionManager, SessionRecord};

use super::support::{data, saved};
use crate::Harness;

/// The case's store again, under `SESSION_CONFLICTS=detect`.
async fn detecting(h: &Harness) -> SessionManager {
    h.reopen(|s| s.conflicts = Conflicts::Detect).await
}

/// The stored value of `n`, as a fresh request sees it.
async fn stored_n(sessions: &SessionManager, key: &str) -> Option<i64> {
    sessions.session(Some(key)).get("n").await.unwrap()
}

/// Two requests load the same session; the first save wins, the second is refused with
/// `Error::Conflict` and writes nothing.
pub async fn conflicting_save_is_refused(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let sessions = detecting(&h).await;
    let a = sessions.session(Some(key.as_str()));
    let b = sessions.session(Some(key.as_str()));
    assert_eq!(a.get::<i64>("n").await.unwrap(), Some(0));
    assert_eq!(b.get::<i64>("n").await.unwrap(), Some(0));
    a.insert("n", 1).await.unwrap();
    a.save().await.unwrap();
    b.insert("n", 2).await.unwrap();
    b.insert("other", "b's").await.unwrap();
    assert!(
        matches!(b.save().await, Err(Error::Conflict)),
        "a save over a concurrent change must be refused"
    );
    let seen = sessions.session(Some(key.as_str()));
    assert_eq!(seen.get::<i64>("n").await.unwrap(), Some(1));
    assert!(!seen.contains("other").await.unwrap());
}

/// A refused save stays refused when tried again: the handle still compares with what it
/// loaded, it does not fall back to overwriting.
pub async fn a_refused_save_stays_refused(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let sessions = detecting(&h).await;
    let stale = sessions.session(Some(key.as_str()));
    stale.get::<i64>("n").await.unwrap();
    let other = sessions.session(Some(key.as_str()));
    other.insert("n", 1).await.unwrap();
    other.save().await.unwrap();
    stale.insert("n", 5).await.unwrap();
    for _ in 0..2 {
        assert!(matches!(stale.save().await, Err(Error::Conflict)));
    }
    assert_eq!(stored_n(&sessions, key.as_str()).await, Some(1));
}

/// A session this request never changed (saved only to renew its expiry, as with
/// `SESSION_SAVE_EVERY_REQUEST`) gives way to a concurrent change without an error, and the
/// change stays.
pub async fn an_unchanged_session_gives_way(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let sessions = detecting(&h).await;
    let reader = sessions.session(Some(key.as_str()));
    reader.get::<i64>("n").await.unwrap();
    let writer = sessions.session(Some(key.as_str()));
    writer.insert("n", 1).await.unwrap();
    writer.save().await.unwrap();
    reader.save().await.unwrap();
    assert_eq!(stored_n(&sessions, key.as_str()).await, Some(1));
}

/// The same store call, directly: `save_if_unchanged` against a stale record is a
/// conflict, against the record the last save returned it succeeds.
pub async fn store_compare_and_swap(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let sessions = detecting(&h).await;
    let store = sessions.store();
    let loaded = store.load(&key).await.unwrap().expect("stored");
    let expires = h.clock().now() + chrono::TimeDelta::seconds(3600);
    let one = SessionRecord::new(data(json!({"n": 1})), expires);
    let saved_one = store.save_if_unchanged(&key, &one, &loaded).await.unwrap();
    assert_eq!(saved_one, one);
    let two = SessionRecord::new(data(json!({"n": 2})), expires);
    assert!(matches!(
        store.save_if_unchanged(&key, &two, &loaded).await,
        Err(Error::Conflict)
    ));
    store
        .save_if_unchanged(&key, &two, &saved_one)
        .await
        .unwrap();
    assert_eq!(stored_n(&sessions, key.as_str()).await, Some(2));
    let reloaded = store.load(&key).await.unwrap().expect("stored");
    store.delete(&key).await.unwrap();
    assert!(matches!(
        store.save_if_unchanged(&key, &two, &reloaded).await,
        Err(Error::SessionDeleted)
    ));
    assert!(!store.exists(&key).await.unwrap());
}

/// A request that saves several times keeps succeeding: each save compares with the
/// previous one, not with the first load.
pub async fn successive_saves_of_one_request(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let sessions = detecting(&h).await;
    let s = sessions.session(Some(key.as_str()));
    for n in 1..=3 {
        s.insert("n", n).await.unwrap();
        s.save().await.unwrap();
        h.clock().advance(chrono::TimeDelta::seconds(1));
    }
    assert_eq!(stored_n(&sessions, key.as_str()).await, Some(3));
    // A new session saved twice in its first request.
    let fresh = sessions.session(None);
    fresh.insert("n", 1).await.unwrap();
    fresh.save().await.unwrap();
    fresh.insert("n", 2).await.unwrap();
    fresh.save().await.unwrap();
    let fresh_key = fresh.session_key().unwrap();
    assert_eq!(stored_n(&sessions, fresh_key.as_str()).await, Some(2));
}

/// A save of a session another request deleted meanwhile is still `SessionDeleted`
/// (logout wins), not a conflict, and nothing comes back.
pub async fn conflicting_save_after_delete_is_session_deleted(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let sessions = detecting(&h).await;
    let s = sessions.session(Some(key.as_str()));
    s.insert("n", 1).await.unwrap();
    sessions.store().delete(&key).await.unwrap();
    assert!(matches!(s.save().await, Err(Error::SessionDeleted)));
    assert!(!sessions.store().exists(&key).await.unwrap());
}

/// 16 requests at once, each incrementing one counter with `Session::modify` in a loop:
/// the counter ends at the number of increments that returned `Ok`.
pub async fn concurrent_modify_loses_nothing(h: Harness) {
    const CLIENTS: usize = 16;
    const ROUNDS: usize = 8;
    let key = saved(&h, json!({"n": 0})).await;
    let sessions = detecting(&h).await;
    let ok = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (sessions, key, ok) = (sessions.clone(), key.clone(), ok.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..ROUNDS {
                let s = sessions.session(Some(key.as_str()));
                // The request reads its session, works a little, then changes it.
                s.get::<i64>("n").await.unwrap();
                tokio::task::yield_now().await;
                let changed = s
                    .modify(|data| {
                        let n = data.get("n").and_then(|v| v.as_i64()).unwrap_or(0);
                        data.insert("n".into(), json!(n + 1));
                    })
                    .await;
                match changed {
                    Ok(()) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(Error::Conflict) => {}
                    Err(other) => panic!("modify failed: {other}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let ok = ok.load(Ordering::SeqCst);
    assert!(ok >= CLIENTS * ROUNDS / 2, "only {ok} increments succeeded");
    assert_eq!(
        stored_n(&sessions, key.as_str()).await,
        Some(ok as i64),
        "increments were lost"
    );
}

/// Without the setting, saves behave as Django's: the last one wins.
pub async fn without_detection_the_last_save_wins(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let a = h.session(Some(key.as_str()));
    let b = h.session(Some(key.as_str()));
    a.get::<i64>("n").await.unwrap();
    b.get::<i64>("n").await.unwrap();
    a.insert("n", 1).await.unwrap();
    a.save().await.unwrap();
    b.insert("n", 2).await.unwrap();
    b.save().await.unwrap();
    assert_eq!(stored_n(h.sessions(), key.as_str()).await, Some(2));
    // `modify` is then a plain change: saved by the middleware or `save`, not by itself.
    let c = h.session(Some(key.as_str()));
    c.modify(|data| data.insert("n".into(), json!(3)))
        .await
        .unwrap();
    assert!(c.is_modified());
    assert_eq!(stored_n(h.sessions(), key.as_str()).await, Some(2));
    c.save().await.unwrap();
    assert_eq!(stored_n(h.sessions(), key.as_str()).await, Some(3));
}
