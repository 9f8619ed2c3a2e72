//! The suite has teeth: each deliberately broken store fails at least one named case, while
//! the same store without its flaw passes them all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use session_conformance::{Env, MakeStore, make_store};
use session_core::{
    Error, InvalidKey, Result, SessionKey, SessionRecord, SessionStore, StoreContext, async_trait,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Flaw {
    None,
    CreateOverwrites,
    SaveResurrectsDeleted,
    SaveChecksThenWrites,
    LoadReturnsExpired,
    ClearExpiredRemovesLive,
    KeysNotValidated,
    DeleteDoesNothing,
    TrustsUnsignedData,
    ClearExpiredMiscounts,
    CompareAndSwapIgnoresVersion,
}

type Rows = Arc<Mutex<HashMap<String, (String, DateTime<Utc>)>>>;

#[derive(Debug)]
struct Flawed {
    flaw: Flaw,
    rows: Rows,
    ctx: StoreContext,
}

impl Flawed {
    fn open(flaw: Flaw, env: &Env) -> Self {
        static ALL: OnceLock<Mutex<HashMap<String, Rows>>> = OnceLock::new();
        let rows = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap()
            .entry(env.namespace().to_owned())
            .or_default()
            .clone();
        Flawed {
            flaw,
            rows,
            ctx: env.context(),
        }
    }

    fn encode(&self, record: &SessionRecord) -> Result<(String, DateTime<Utc>)> {
        let encoded = if self.flaw == Flaw::TrustsUnsignedData {
            serde_json::to_string(record.data())?
        } else {
            self.ctx.encode(record.data())?
        };
        Ok((encoded, record.expires_at()))
    }
}

#[async_trait]
impl SessionStore for Flawed {
    fn parse_key(&self, raw: &str) -> std::result::Result<SessionKey, InvalidKey> {
        if self.flaw == Flaw::KeysNotValidated {
            SessionKey::parse_signed_value(raw)
        } else {
            SessionKey::parse(raw)
        }
    }

    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        Ok(self.rows.lock().unwrap().contains_key(key.as_str()))
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let row = self.encode(record)?;
        let mut rows = self.rows.lock().unwrap();
        if rows.contains_key(key.as_str()) && self.flaw != Flaw::CreateOverwrites {
            return Err(Error::KeyCollision);
        }
        rows.insert(key.as_str().to_owned(), row);
        Ok(key.clone())
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let row = self.encode(record)?;
        if self.flaw == Flaw::SaveChecksThenWrites {
            if !self.rows.lock().unwrap().contains_key(key.as_str()) {
                return Err(Error::SessionDeleted);
            }
            // The gap between a check and a write, wide enough that a delete lands in it.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            self.rows
                .lock()
                .unwrap()
                .insert(key.as_str().to_owned(), row);
            return Ok(key.clone());
        }
        let mut rows = self.rows.lock().unwrap();
        if !rows.contains_key(key.as_str()) && self.flaw != Flaw::SaveResurrectsDeleted {
            return Err(Error::SessionDeleted);
        }
        rows.insert(key.as_str().to_owned(), row);
        Ok(key.clone())
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        if self.flaw != Flaw::DeleteDoesNothing {
            self.rows.lock().unwrap().remove(key.as_str());
        }
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let Some((encoded, expires_at)) = self.rows.lock().unwrap().get(key.as_str()).cloned()
        else {
            return Ok(None);
        };
        if expires_at <= self.ctx.now() && self.flaw != Flaw::LoadReturnsExpired {
            return Ok(None);
        }
        let data = if self.flaw == Flaw::TrustsUnsignedData {
            serde_json::from_str(&encoded).ok()
        } else {
            self.ctx.decode(&encoded)
        };
        Ok(data.map(|data| {
            self.ctx
                .loaded(SessionRecord::new(data, expires_at), &encoded)
        }))
    }

    fn supports_conflict_detection(&self) -> bool {
        true
    }

    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let expected = loaded.expect_version()?;
        let row = self.encode(record)?;
        let version = row.0.clone();
        let mut rows = self.rows.lock().unwrap();
        match rows.get_mut(key.as_str()) {
            None => return Err(Error::SessionDeleted),
            Some(current)
                if current.0 != expected && self.flaw != Flaw::CompareAndSwapIgnoresVersion =>
            {
                return Err(Error::Conflict);
            }
            Some(current) => *current = row,
        }
        Ok(record.clone().with_version(version))
    }

    async fn clear_expired(&self) -> Result<u64> {
        let now = self.ctx.now();
        let mut rows = self.rows.lock().unwrap();
        let before = rows.len();
        match self.flaw {
            Flaw::ClearExpiredRemovesLive => rows.clear(),
            _ => rows.retain(|_, (_, expires_at)| *expires_at >= now),
        }
        let removed = (before - rows.len()) as u64;
        Ok(if self.flaw == Flaw::ClearExpiredMiscounts {
            0
        } else {
            removed
        })
    }
}

fn flawed(flaw: Flaw) -> MakeStore {
    make_store(move |env: Env| async move {
        Ok::<Arc<dyn SessionStore>, Error>(Arc::new(Flawed::open(flaw, &env)))
    })
}

async fn failures(flaw: Flaw) -> Vec<&'static str> {
    let cases = session_conformance::cases(&[
        "server",
        "logout_wins",
        "conflicts",
        "clock",
        "clear_expired",
    ]);
    session_conformance::run_cases(flawed(flaw), &cases)
        .await
        .into_iter()
        .filter(|(_, outcome)| outcome.is_err())
        .map(|(name, _)| name)
        .collect()
}

async fn assert_caught(flaw: Flaw, expected: &[&str]) {
    let failed = failures(flaw).await;
    for case in expected {
        assert!(
            failed.contains(case),
            "{flaw:?} was not caught by {case}; failing cases: {failed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flawless_control_passes_everything() {
    assert_eq!(failures(Flaw::None).await, Vec::<&str>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_that_overwrites_is_caught() {
    assert_caught(
        Flaw::CreateOverwrites,
        &[
            "create_never_overwrites",
            "forced_collision_retries_with_new_key",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_that_resurrects_a_deleted_session_is_caught() {
    assert_caught(
        Flaw::SaveResurrectsDeleted,
        &[
            "save_after_concurrent_delete_fails",
            "store_save_of_missing_is_session_deleted",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_that_checks_then_writes_is_caught() {
    assert_caught(
        Flaw::SaveChecksThenWrites,
        &["concurrent_delete_is_never_undone"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_that_returns_expired_data_is_caught() {
    assert_caught(
        Flaw::LoadReturnsExpired,
        &[
            "actual_expiry",
            "expired_at_exact_boundary",
            "default_age_expiry",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_expired_that_removes_live_sessions_is_caught() {
    assert_caught(
        Flaw::ClearExpiredRemovesLive,
        &["clear_expired_counts", "clear_expired_keeps_live_sessions"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_not_validated_are_caught() {
    assert_caught(
        Flaw::KeysNotValidated,
        &[
            "hostile_key_upper_case",
            "hostile_key_seven_chars",
            "hostile_key_41_chars",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_that_does_nothing_is_caught() {
    assert_caught(
        Flaw::DeleteDoesNothing,
        &[
            "delete_removes",
            "flush_deletes_stored",
            "cycle_key_deletes_old",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_data_is_caught() {
    assert_caught(Flaw::TrustsUnsignedData, &["foreign_secret_is_no_session"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_expired_miscount_is_caught() {
    assert_caught(Flaw::ClearExpiredMiscounts, &["clear_expired_counts"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_that_ignores_the_version_is_caught() {
    assert_caught(
        Flaw::CompareAndSwapIgnoresVersion,
        &[
            "conflicting_save_is_refused",
            "store_compare_and_swap",
            "concurrent_modify_loses_nothing",
        ],
    )
    .await;
}
