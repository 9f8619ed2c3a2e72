//! What a server-side store must do with its records: existence, deletion, the
//! "logout wins" rule, atomic create.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use session_core::{Clock, Error, KeyGenerator, SessionKey, SessionRecord};

use super::support::{data, saved, seen};
use crate::Harness;

fn record(h: &Harness, entries: serde_json::Value) -> SessionRecord {
    SessionRecord::new(
        data(entries),
        h.clock().now() + chrono::TimeDelta::seconds(3600),
    )
}

/// `test_save`: after saving, `exists` is true.
pub async fn exists_after_save(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    assert!(h.store().exists(&key).await.unwrap());
}

/// `exists` of a key never stored is false.
pub async fn exists_false_for_unknown(h: Harness) {
    assert!(!h.store().exists(&SessionKey::generate()).await.unwrap());
}

/// `test_delete`: after `delete`, `exists` is false and the data is gone.
pub async fn delete_removes(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    h.store().delete(&key).await.unwrap();
    assert!(!h.store().exists(&key).await.unwrap());
    assert!(h.store().load(&key).await.unwrap().is_none());
    assert!(seen(&h, &key).await.is_empty());
}

/// Deleting a key that is not stored is not an error.
pub async fn delete_missing_is_ok(h: Harness) {
    h.store().delete(&SessionKey::generate()).await.unwrap();
}

/// `test_flush`: the stored session is gone too.
pub async fn flush_deletes_stored(h: Harness) {
    let key = saved(&h, json!({"foo": "bar"})).await;
    let s = h.session(Some(key.as_str()));
    s.flush().await.unwrap();
    assert!(!h.store().exists(&key).await.unwrap());
    assert!(seen(&h, &key).await.is_empty());
}

/// `test_cycle`: the old key no longer exists.
pub async fn cycle_key_deletes_old(h: Harness) {
    let key = saved(&h, json!({"a": 1})).await;
    let s = h.session(Some(key.as_str()));
    s.cycle_key().await.unwrap();
    assert_ne!(s.session_key().unwrap(), key);
    assert!(!h.store().exists(&key).await.unwrap());
    assert!(h.store().exists(&s.session_key().unwrap()).await.unwrap());
}

/// `test_cycle`'s key half: after `cycle_key` on a session in use, the key is new and the
/// old one reaches nothing (Django's defence against session fixation at login).
pub async fn cycle_key_changes_key(h: Harness) {
    let s = h.new_session();
    s.insert("a", "c").await.unwrap();
    s.save().await.unwrap();
    let old = s.session_key().unwrap();
    s.cycle_key().await.unwrap();
    let new = s.session_key().unwrap();
    assert_ne!(new, old);
    assert!(seen(&h, &old).await.is_empty());
    assert_eq!(seen(&h, &new).await.get("a"), Some(&json!("c")));
}

/// `test_session_save_does_not_resurrect_session_logged_out_in_other_context`.
pub async fn save_after_concurrent_delete_fails(h: Harness) {
    let s1 = h.new_session();
    s1.insert("test_data", "value1").await.unwrap();
    s1.save().await.unwrap();
    let key = s1.session_key().unwrap();
    let s2 = h.session(Some(key.as_str()));
    s2.flush().await.unwrap();
    s1.insert("test_data", "value2").await.unwrap();
    let err = s1
        .save()
        .await
        .expect_err("saving a deleted session must fail");
    assert!(matches!(err, Error::SessionDeleted), "{err:?}");
    assert!(
        seen(&h, &key).await.is_empty(),
        "the deleted session came back"
    );
    assert!(!h.store().exists(&key).await.unwrap());
}

/// `save` straight on the store for a key never created is the distinct error.
pub async fn store_save_of_missing_is_session_deleted(h: Harness) {
    let err = h
        .store()
        .save(&SessionKey::generate(), &record(&h, json!({"a": 1})))
        .await
        .expect_err("update of nothing");
    assert!(matches!(err, Error::SessionDeleted), "{err:?}");
}

/// `create` never overwrites: a second create under a key fails and the first data stays.
pub async fn create_never_overwrites(h: Harness) {
    let key = saved(&h, json!({"owner": "first"})).await;
    let err = h
        .store()
        .create(&key, &record(&h, json!({"owner": "second"})))
        .await
        .expect_err("create over an existing session");
    assert!(matches!(err, Error::KeyCollision), "{err:?}");
    assert_eq!(seen(&h, &key).await.get("owner"), Some(&json!("first")));
}

#[derive(Debug)]
struct Repeating {
    keys: Vec<SessionKey>,
    next: AtomicUsize,
}

impl KeyGenerator for Repeating {
    fn generate(&self) -> SessionKey {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        self.keys[i.min(self.keys.len() - 1)].clone()
    }
}

/// A generated key that collides with a stored session is retried with another key; the
/// stored session is untouched.
pub async fn forced_collision_retries_with_new_key(h: Harness) {
    let taken = saved(&h, json!({"owner": "first"})).await;
    let fresh = SessionKey::generate();
    let keys = Arc::new(Repeating {
        keys: vec![taken.clone(), taken.clone(), fresh.clone()],
        next: AtomicUsize::new(0),
    });
    let sessions = h.with_keys(keys.clone());
    let s = sessions.session(None);
    s.insert("owner", "second").await.unwrap();
    s.save().await.unwrap();
    assert_eq!(s.session_key().as_ref(), Some(&fresh));
    assert_eq!(keys.next.load(Ordering::SeqCst), 3);
    assert_eq!(seen(&h, &taken).await.get("owner"), Some(&json!("first")));
    assert_eq!(seen(&h, &fresh).await.get("owner"), Some(&json!("second")));
}

/// When every generated key collides, `save` fails with the typed error after a bounded
/// number of tries, and nothing is overwritten.
pub async fn endless_collisions_are_a_typed_error(h: Harness) {
    let taken = saved(&h, json!({"owner": "first"})).await;
    let sessions = h.with_keys(Arc::new(Repeating {
        keys: vec![taken.clone()],
        next: AtomicUsize::new(0),
    }));
    let s = sessions.session(None);
    s.insert("owner", "second").await.unwrap();
    let err = s.save().await.expect_err("no free key");
    assert!(matches!(err, Error::KeyCollision), "{err:?}");
    assert_eq!(s.session_key(), None);
    assert_eq!(seen(&h, &taken).await.get("owner"), Some(&json!("first")));
}

/// If creating the new key fails, `cycle_key` loses nothing: the old session still holds
/// the data and the handle keeps the old key.
pub async fn cycle_key_failure_keeps_old_session(h: Harness) {
    let key = saved(&h, json!({"user": 42})).await;
    let sessions = h.with_keys(Arc::new(Repeating {
        keys: vec![key.clone()],
        next: AtomicUsize::new(0),
    }));
    let s = sessions.session(Some(key.as_str()));
    assert!(s.cycle_key().await.is_err());
    assert_eq!(s.session_key().as_ref(), Some(&key));
    assert_eq!(s.get::<i64>("user").await.unwrap(), Some(42));
    assert_eq!(seen(&h, &key).await.get("user"), Some(&json!(42)));
}

/// A 64 KiB value round-trips intact.
pub async fn large_value_round_trips(h: Harness) {
    let big: String = (0..65_536u32)
        .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26))
        .collect();
    let key = saved(&h, json!({"big": big})).await;
    assert_eq!(seen(&h, &key).await.get("big"), Some(&json!(big)));
}

/// 1,000 concurrent creates give 1,000 distinct sessions, each with its own data.
pub async fn concurrent_creates_get_distinct_keys(h: Harness) {
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let h = h.clone();
            tokio::spawn(async move {
                let s = h.new_session();
                s.insert("i", i).await.unwrap();
                s.save().await.unwrap();
                (i, s.session_key().unwrap())
            })
        })
        .collect();
    let mut keys = std::collections::HashSet::new();
    let mut created = Vec::new();
    for task in tasks {
        let (i, key) = task.await.expect("create task panicked");
        assert!(keys.insert(key.clone()), "key handed out twice");
        created.push((i, key));
    }
    for (i, key) in created.iter().step_by(50) {
        assert_eq!(seen(&h, key).await.get("i"), Some(&json!(i)));
    }
    // A thousand sessions is more than a shared server should keep after the run.
    for (_, key) in &created {
        h.store().delete(key).await.unwrap();
    }
}

/// Saves and deletes racing on one key end without panics or errors: every save either
/// succeeds or reports the deletion. Whether the session stays deleted is
/// `concurrent_delete_is_never_undone`'s business (the `logout_wins` group): not every
/// engine promises it.
pub async fn concurrent_save_and_delete_are_safe(h: Harness) {
    let key = saved(&h, json!({"n": 0})).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let h = h.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            if i % 4 == 0 {
                h.store().delete(&key).await.map(|_| ())
            } else {
                let s = h.session(Some(key.as_str()));
                match s.insert("n", i).await {
                    Ok(()) => match s.save().await {
                        Err(Error::SessionDeleted) | Ok(()) => Ok(()),
                        Err(other) => Err(other),
                    },
                    Err(e) => Err(e),
                }
            }
        }));
    }
    for task in tasks {
        task.await
            .expect("task panicked")
            .expect("unexpected error");
    }
    let remaining = h.store().load(&key).await.unwrap();
    if let Some(record) = remaining {
        assert!(record.data().contains_key("n"));
    }
}

/// "Logout wins" under concurrency, for stores that promise it: saves racing a delete of
/// one session never bring it back. Every save either lands before the delete or fails with
/// `Error::SessionDeleted`, so once the race is over the session is gone. In each round,
/// requests that loaded the session save it again and again until they see the deletion,
/// and the delete lands while they are at it.
pub async fn concurrent_delete_is_never_undone(h: Harness) {
    const ROUNDS: usize = 5;
    const REQUESTS: usize = 8;
    const SAVES_EACH: usize = 50;
    for round in 0..ROUNDS {
        let key = saved(&h, json!({"n": 0})).await;
        let start = Arc::new(tokio::sync::Barrier::new(REQUESTS + 1));
        let mut saving = Vec::new();
        for i in 0..REQUESTS {
            let (h, key, start) = (h.clone(), key.clone(), start.clone());
            saving.push(tokio::spawn(async move {
                let s = h.session(Some(key.as_str()));
                s.insert("n", i).await?;
                start.wait().await;
                for n in 0..SAVES_EACH {
                    s.insert("n", n).await?;
                    match s.save().await {
                        Ok(()) => {}
                        Err(Error::SessionDeleted) => break,
                        Err(other) => return Err(other),
                    }
                }
                Ok(())
            }));
        }
        start.wait().await;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        h.store().delete(&key).await.unwrap();
        for task in saving {
            task.await
                .expect("task panicked")
                .expect("unexpected error");
        }
        assert!(
            h.store().load(&key).await.unwrap().is_none(),
            "round {round}: a save undid a delete that had completed"
        );
        assert!(!h.store().exists(&key).await.unwrap(), "round {round}");
    }
}
