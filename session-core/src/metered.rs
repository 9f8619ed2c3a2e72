//! [`Metered`]: counters and latencies of every store operation, through the `metrics`
//! facade (cargo feature `metrics`).
//!
//! One wrapper around any engine, so no engine counts anything itself. Metrics, not
//! `tracing` spans: what an operator watches is rates and latency distributions per engine
//! ("how many logins a minute, how many loads miss, how slow is Redis at p99"), which
//! counters and histograms give for the cost of an atomic increment, aggregated in the
//! process and scraped by Prometheus (or any `metrics` exporter) without sending an event
//! per request anywhere. A span per operation would cost an allocation and a subscriber
//! call on the hot path and still need a layer turning spans into those very numbers;
//! `tracing` stays what it is here, the place for events worth reading one by one (a
//! tampered cookie, a backend failure).
//!
//! | metric | labels | counts |
//! |---|---|---|
//! | `sessions_created_total` | `engine` | sessions created (`create` succeeded) |
//! | `sessions_loaded_total` | `engine`, `result` = `hit` \| `miss` | loads, by whether a session was found |
//! | `sessions_saved_total` | `engine` | saves of existing sessions |
//! | `sessions_deleted_total` | `engine` | deletes (logouts, flushes, key cycles) |
//! | `sessions_cleared_total` | `engine` | expired sessions removed by `clear_expired` |
//! | `sessions_conflicts_total` | `engine`, `kind` = `key_collision` \| `session_deleted` | a `create` under a taken key, a `save` of a session deleted meanwhile |
//! | `sessions_errors_total` | `engine`, `operation`, `kind` | failed operations (`backend`, `too_large`, ...) |
//! | `sessions_operation_duration_seconds` | `engine`, `operation` | latency of each operation (histogram) |
//!
//! Labels are fixed words and the engine name given to [`Metered::new`]: nothing of a
//! session key or of session data is ever a label or a value.
//!
//! The series of the hot path (durations and counts of loads, saves, creates and deletes)
//! are registered once, by [`Metered::new`], with the recorder installed then, and each
//! operation updates its handle (an atomic add) instead of looking the series up by name
//! and labels: install the recorder before building the sessions (a recorder installed
//! later sees only errors, conflicts, `exists` and `clear_expired`). Those series are then
//! exported from the start, at zero; an exporter told to drop idle series
//! (metrics-exporter-prometheus's `idle_timeout`) would drop them for good, so do not set
//! one for them. Errors and conflicts, rare, are looked up when they happen.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use metrics::{Counter, Histogram, Unit, counter, describe_counter, describe_histogram, histogram};

use crate::error::{Error, Result};
use crate::inventory::SessionInventory;
use crate::key::{InvalidKey, SessionKey};
use crate::store::{SessionRecord, SessionStore};

/// `store` with every operation counted and timed under the label `engine`.
///
/// ```
/// use std::sync::Arc;
/// use session_conformance::ReferenceStore;
/// use session_core::{Metered, SessionManager, SessionSettings};
///
/// let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
///     Ok(Metered::new(Arc::new(ReferenceStore::open("metered-doc", ctx)), "reference"))
/// })?;
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Metered {
    inner: Arc<dyn SessionStore>,
    engine: &'static str,
    hot: Arc<HotSeries>,
}

/// The handles of the series every request touches.
#[derive(Debug)]
struct HotSeries {
    load: Histogram,
    save: Histogram,
    create: Histogram,
    delete: Histogram,
    hits: Counter,
    misses: Counter,
    saved: Counter,
    created: Counter,
    deleted: Counter,
}

impl HotSeries {
    fn register(engine: &'static str) -> Self {
        let duration = |operation: &'static str| histogram!("sessions_operation_duration_seconds", "engine" => engine, "operation" => operation);
        let loaded = |result: &'static str| counter!("sessions_loaded_total", "engine" => engine, "result" => result);
        HotSeries {
            load: duration("load"),
            save: duration("save"),
            create: duration("create"),
            delete: duration("delete"),
            hits: loaded("hit"),
            misses: loaded("miss"),
            saved: counter!("sessions_saved_total", "engine" => engine),
            created: counter!("sessions_created_total", "engine" => engine),
            deleted: counter!("sessions_deleted_total", "engine" => engine),
        }
    }
}

impl Metered {
    /// `inner`, measured, its metrics labelled `engine="<engine>"`, registered with the
    /// recorder installed now.
    pub fn new(inner: Arc<dyn SessionStore>, engine: &'static str) -> Self {
        describe();
        Metered {
            inner,
            engine,
            hot: Arc::new(HotSeries::register(engine)),
        }
    }

    /// The store measured.
    pub fn inner(&self) -> &Arc<dyn SessionStore> {
        &self.inner
    }

    /// Times `call` as `operation` (into `duration`, the operation's registered histogram,
    /// or one looked up now) and counts its error, if any, by kind.
    async fn timed<T>(
        &self,
        operation: &'static str,
        duration: Option<&Histogram>,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        let outcome = call.await;
        let elapsed = started.elapsed().as_secs_f64();
        match duration {
            Some(histogram) => histogram.record(elapsed),
            None => histogram!("sessions_operation_duration_seconds", "engine" => self.engine, "operation" => operation)
                .record(elapsed),
        }
        match &outcome {
            Err(Error::KeyCollision) => {
                counter!("sessions_conflicts_total", "engine" => self.engine, "kind" => "key_collision").increment(1);
            }
            Err(Error::SessionDeleted) => {
                counter!("sessions_conflicts_total", "engine" => self.engine, "kind" => "session_deleted").increment(1);
            }
            Err(Error::Conflict) => {
                counter!("sessions_conflicts_total", "engine" => self.engine, "kind" => "changed_meanwhile").increment(1);
            }
            Err(error) => {
                counter!("sessions_errors_total", "engine" => self.engine, "operation" => operation, "kind" => kind(error)).increment(1);
            }
            Ok(_) => {}
        }
        outcome
    }
}

/// The kind of an error, as a label.
fn kind(error: &Error) -> &'static str {
    match error {
        Error::Backend { .. } => "backend",
        Error::KeyCollision => "key_collision",
        Error::SessionDeleted => "session_deleted",
        Error::InvalidKey(_) => "invalid_key",
        Error::Configuration(_) => "configuration",
        Error::InvalidExpiry(_) => "invalid_expiry",
        Error::Serialization(_) => "serialization",
        Error::TooLarge { .. } => "too_large",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

/// Describes the metrics (help text, unit) to the recorder installed now. [`Metered::new`]
/// calls it; call it again after installing a recorder later than that (the hot series
/// themselves are only registered by `Metered::new`: build the sessions after installing
/// the recorder).
pub fn describe() {
    {
        describe_counter!("sessions_created_total", "Sessions created");
        describe_counter!(
            "sessions_loaded_total",
            "Session loads, by result (hit: a session was found)"
        );
        describe_counter!("sessions_saved_total", "Saves of existing sessions");
        describe_counter!("sessions_deleted_total", "Sessions deleted");
        describe_counter!(
            "sessions_cleared_total",
            "Expired sessions removed by clear_expired"
        );
        describe_counter!(
            "sessions_conflicts_total",
            "Creates under a taken key, saves of sessions deleted meanwhile, and (SESSION_CONFLICTS=detect) saves over a concurrent change"
        );
        describe_counter!(
            "sessions_errors_total",
            "Failed store operations, by operation and kind"
        );
        describe_histogram!(
            "sessions_operation_duration_seconds",
            Unit::Seconds,
            "Latency of store operations"
        );
    }
}

#[async_trait]
impl SessionStore for Metered {
    fn parse_key(&self, raw: &str) -> Result<SessionKey, InvalidKey> {
        self.inner.parse_key(raw)
    }

    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        self.timed("exists", None, self.inner.exists(key)).await
    }

    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let created = self
            .timed(
                "create",
                Some(&self.hot.create),
                self.inner.create(key, record),
            )
            .await?;
        self.hot.created.increment(1);
        Ok(created)
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        let saved = self
            .timed("save", Some(&self.hot.save), self.inner.save(key, record))
            .await?;
        self.hot.saved.increment(1);
        Ok(saved)
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.timed("delete", Some(&self.hot.delete), self.inner.delete(key))
            .await?;
        self.hot.deleted.increment(1);
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        let loaded = self
            .timed("load", Some(&self.hot.load), self.inner.load(key))
            .await?;
        if loaded.is_some() {
            self.hot.hits.increment(1);
        } else {
            self.hot.misses.increment(1);
        }
        Ok(loaded)
    }

    async fn clear_expired(&self) -> Result<u64> {
        let cleared = self
            .timed("clear_expired", None, self.inner.clear_expired())
            .await?;
        counter!("sessions_cleared_total", "engine" => self.engine).increment(cleared);
        Ok(cleared)
    }

    fn supports_conflict_detection(&self) -> bool {
        self.inner.supports_conflict_detection()
    }

    async fn save_if_unchanged(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        loaded: &SessionRecord,
    ) -> Result<SessionRecord> {
        let saved = self
            .timed(
                "save",
                Some(&self.hot.save),
                self.inner.save_if_unchanged(key, record, loaded),
            )
            .await?;
        self.hot.saved.increment(1);
        Ok(saved)
    }

    fn inventory(&self) -> Option<&dyn SessionInventory> {
        self.inner.inventory()
    }

    /// The engine's own index, over stored keys.
    fn user_index(&self) -> Option<&dyn crate::users::UserIndex> {
        self.inner.user_index()
    }

    fn stored_key(&self, key: &SessionKey) -> SessionKey {
        self.inner.stored_key(key)
    }
}
