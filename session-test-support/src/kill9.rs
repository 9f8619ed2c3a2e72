//! [`crash_under_load`]: kill -9 the servers of a store while tasks save and load through
//! it, start them again, and check what every call returned.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use session_core::{SessionData, SessionKey, SessionRecord, SessionStore, StoreContext};

use crate::PrivateServer;

/// Tasks saving and loading at once.
const WORKERS: usize = 4;
/// Load before the kill.
const BEFORE: Duration = Duration::from_millis(400);
/// Load after the servers answer again.
const AFTER: Duration = Duration::from_millis(1500);
/// The first call to succeed after the restart must end within this.
const RECOVERY: Duration = Duration::from_secs(1);
/// Scheduling slack on a busy 2-core machine, over the store's own limit.
pub const MARGIN: Duration = Duration::from_millis(500);
/// A call still running this long after its limit is reported as hung (and abandoned, so
/// the test ends).
const HUNG: Duration = Duration::from_secs(5);

/// What [`crash_under_load`] checks.
#[derive(Debug, Clone)]
pub struct Crash {
    /// The longest a call may take by the store's configuration (its timeout or deadline);
    /// every call, failed or not, must end within it plus [`MARGIN`].
    pub limit: Duration,
    /// Whether the servers keep what they acknowledged (Redis with an fsynced append-only
    /// file, PostgreSQL): then no acknowledged save may be lost or changed by the crash.
    pub durable: bool,
    /// Where durability is checked after the restart, when not through the store under
    /// load: the persistent store behind a cache. Loads through the store under load may
    /// then return an older version of a session, never one that was not written.
    pub truth: Option<Arc<dyn SessionStore>>,
    /// How long the servers stay down: long enough for every task to make at least one
    /// whole call while they are, after the call the kill interrupted.
    pub down_for: Duration,
}

impl Crash {
    /// The checks for a store whose calls take at most `limit`; down for `2 * limit`
    /// plus 500 ms.
    pub fn new(limit: Duration, durable: bool) -> Self {
        Crash {
            limit,
            durable,
            truth: None,
            down_for: limit * 2 + Duration::from_millis(500),
        }
    }
}

/// What happened, for the test's output. [`Report::assert_clean`] fails the test on any
/// violation.
#[derive(Debug, Default)]
pub struct Report {
    /// Calls made (saves and loads).
    pub calls: usize,
    /// Calls that failed.
    pub errors: usize,
    /// Calls made and ended while every server was down (all must have failed).
    pub while_down: usize,
    /// The slowest call.
    pub slowest: Duration,
    /// From the servers answering again to the end of the first call that succeeded after
    /// the restart began (zero if one did before the launcher saw them answer).
    pub first_success: Option<Duration>,
    /// How long the restart took (spawn until the servers answer).
    pub restart_took: Duration,
    /// Sessions whose final content was checked after the restart (durable servers).
    pub sessions_checked: usize,
    /// Sessions with at least one acknowledged write among them.
    pub sessions_acknowledged: usize,
    /// Everything that broke a rule, one line each.
    pub violations: Vec<String>,
}

impl Report {
    /// Prints the numbers and panics listing the violations, if any.
    pub fn assert_clean(&self, what: &str) {
        eprintln!("{what}: {self}");
        assert!(
            self.violations.is_empty(),
            "{what}: {} violation(s):\n{}",
            self.violations.len(),
            self.violations.join("\n")
        );
    }

    /// Whether a violation line contains `needle`.
    pub fn has_violation(&self, needle: &str) -> bool {
        self.violations.iter().any(|v| v.contains(needle))
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls, {} failed, {} while down; slowest {:?}; restart {:?}; first success \
             {:?} after it; {} sessions checked ({} acknowledged); {} violations",
            self.calls,
            self.errors,
            self.while_down,
            self.slowest,
            self.restart_took,
            self.first_success,
            self.sessions_checked,
            self.sessions_acknowledged,
            self.violations.len()
        )
    }
}

/// Runs [`WORKERS`] tasks that each, over and over, create a session with a fresh key, load
/// it, save a second version and load it again, through `store`; SIGKILLs `servers` (in
/// that order) under that load, keeps them down for `crash.down_for`, starts them again
/// (same ports, same data) and lets the tasks run on. Then checks:
///
/// - no call panicked, and every call ended within `crash.limit` + [`MARGIN`];
/// - every call made and ended while the servers were down failed; every task failed at
///   least once then; every failure, then or later, was a backend error;
/// - the first call to succeed after the servers answered again ended within 1 s of it,
///   and every task succeeded again before the end;
/// - a load never returned data that was not saved under that key (corruption, mix-ups);
/// - if `crash.durable`: a load never missed an acknowledged save, and after the restart
///   every session holds its last acknowledged version, or a later version whose save
///   failed (a write may take effect and still fail to answer); read from `crash.truth`
///   if set, and then loads through `store` may return an older version.
///
/// The runtime must be multi-threaded: the servers are killed and started with
/// [`tokio::task::block_in_place`].
pub async fn crash_under_load(
    store: Arc<dyn SessionStore>,
    ctx: &StoreContext,
    servers: &mut [&mut PrivateServer],
    crash: Crash,
) -> Report {
    let log = Arc::new(Mutex::new(Log::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let worker = Worker {
                id: worker,
                store: store.clone(),
                ctx: ctx.clone(),
                log: log.clone(),
                crash: crash.clone(),
            };
            let stop = stop.clone();
            tokio::spawn(async move { worker.run(&stop).await })
        })
        .collect();

    tokio::time::sleep(BEFORE).await;
    tokio::task::block_in_place(|| servers.iter_mut().for_each(|s| s.kill9()));
    let down_at = Instant::now();
    tokio::time::sleep(crash.down_for).await;
    let restart_at = Instant::now();
    tokio::task::block_in_place(|| servers.iter_mut().rev().for_each(|s| s.start()));
    let up_at = Instant::now();
    tokio::time::sleep(AFTER).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    let mut report = Report {
        restart_took: up_at - restart_at,
        ..Report::default()
    };
    for (worker, task) in tasks.into_iter().enumerate() {
        if let Err(e) = task.await {
            report
                .violations
                .push(format!("task {worker} panicked: {e}"));
        }
    }
    let log = Arc::try_unwrap(log)
        .expect("the tasks have ended")
        .into_inner()
        .unwrap();
    log.judge(&mut report, &crash, down_at, restart_at, up_at);
    if crash.durable {
        let truth = crash.truth.as_ref().unwrap_or(&store);
        log.check_durability(&**truth, &mut report, &crash).await;
    }
    report
}

/// The data of version `version` of session `seq` of task `worker`: a padding derived from
/// all three, so a mix-up or a torn write shows.
fn data(worker: usize, seq: u64, version: u8) -> SessionData {
    let pad: String = (0..512)
        .map(|i| {
            char::from(
                b'a' + ((worker as u64 * 7 + seq * 13 + u64::from(version) * 5 + i) % 26) as u8,
            )
        })
        .collect();
    let mut data = SessionData::new();
    data.insert("worker".into(), worker.into());
    data.insert("seq".into(), seq.into());
    data.insert("version".into(), version.into());
    data.insert("pad".into(), pad.into());
    data
}

/// One call's outcome.
#[derive(Debug, Clone)]
enum Outcome {
    Ok,
    Failed { backend: bool, error: String },
    Hung,
}

#[derive(Debug)]
struct Call {
    worker: usize,
    what: &'static str,
    started: Instant,
    took: Duration,
    outcome: Outcome,
}

/// The writes made to one session, in order: version and whether it was acknowledged.
#[derive(Debug, Default)]
struct Writes(Vec<(u8, bool)>);

impl Writes {
    /// The versions a load may return now: the last acknowledged one and any attempted
    /// after it (any attempted one if `stale`); `None` only when nothing was acknowledged
    /// (or the server keeps nothing).
    fn allows(&self, found: Option<u8>, durable: bool, stale: bool) -> bool {
        let last_ack = self.0.iter().rposition(|&(_, acked)| acked);
        let from = if stale { 0 } else { last_ack.unwrap_or(0) };
        match found {
            None => !durable || last_ack.is_none(),
            Some(v) => self.0[from..].iter().any(|&(version, _)| version == v),
        }
    }

    fn acknowledged(&self) -> bool {
        self.0.iter().any(|&(_, acked)| acked)
    }
}

#[derive(Debug, Default)]
struct Log {
    calls: Vec<Call>,
    sessions: HashMap<(usize, u64), (SessionKey, Writes)>,
    violations: Vec<String>,
}

impl Log {
    /// The servers were down from `down_at` to `restart_at`, and answered from `up_at`.
    fn judge(
        &self,
        report: &mut Report,
        crash: &Crash,
        down_at: Instant,
        restart_at: Instant,
        up_at: Instant,
    ) {
        report.violations.extend(self.violations.iter().cloned());
        let mut failed_while_down = [0usize; WORKERS];
        let mut back_after = [false; WORKERS];
        for call in &self.calls {
            report.calls += 1;
            report.slowest = report.slowest.max(call.took);
            let ended = call.started + call.took;
            let name = format!("task {} {}", call.worker, call.what);
            if call.took > crash.limit + MARGIN {
                report.violations.push(format!(
                    "{name} took {:?} (limit {:?} + {MARGIN:?}): {:?}",
                    call.took, crash.limit, call.outcome
                ));
            }
            let down = call.started >= down_at && ended <= restart_at;
            if down {
                report.while_down += 1;
            }
            match &call.outcome {
                Outcome::Ok => {
                    if down {
                        report
                            .violations
                            .push(format!("{name} succeeded while the servers were down"));
                    }
                    if ended > restart_at {
                        back_after[call.worker] = true;
                        let after = ended.saturating_duration_since(up_at);
                        report.first_success =
                            Some(report.first_success.map_or(after, |f| f.min(after)));
                    }
                }
                Outcome::Failed { backend, error } => {
                    report.errors += 1;
                    if down {
                        failed_while_down[call.worker] += 1;
                    }
                    if !backend {
                        report
                            .violations
                            .push(format!("{name} failed with a non-backend error: {error}"));
                    }
                }
                Outcome::Hung => {
                    report.errors += 1;
                    report.violations.push(format!("{name} hung"));
                }
            }
        }
        for worker in 0..WORKERS {
            if failed_while_down[worker] == 0 {
                report.violations.push(format!(
                    "task {worker} made no failed call while the servers were down"
                ));
            }
            if !back_after[worker] {
                report
                    .violations
                    .push(format!("task {worker} never succeeded after the restart"));
            }
        }
        match report.first_success {
            Some(after) if after <= RECOVERY => {}
            other => report.violations.push(format!(
                "first success after the restart: {other:?} (must be within {RECOVERY:?})"
            )),
        }
    }

    /// Every session holds what its acknowledged writes say, read once more now.
    async fn check_durability(&self, store: &dyn SessionStore, report: &mut Report, crash: &Crash) {
        for (&(worker, seq), (key, writes)) in &self.sessions {
            report.sessions_checked += 1;
            report.sessions_acknowledged += usize::from(writes.acknowledged());
            let loaded = tokio::time::timeout(crash.limit + HUNG, store.load(key)).await;
            let found = match loaded {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    report
                        .violations
                        .push(format!("final load of session {worker}/{seq} failed: {e}"));
                    continue;
                }
                Err(_) => {
                    report
                        .violations
                        .push(format!("final load of session {worker}/{seq} hung"));
                    continue;
                }
            };
            if let Some(problem) = check(worker, seq, writes, found.as_ref(), true, false) {
                report.violations.push(format!(
                    "after the restart, session {worker}/{seq} {problem}"
                ));
            }
        }
    }
}

/// What is wrong with `found` as the content of session `worker`/`seq` given its
/// `writes`, if anything.
fn check(
    worker: usize,
    seq: u64,
    writes: &Writes,
    found: Option<&SessionRecord>,
    durable: bool,
    stale: bool,
) -> Option<String> {
    let version = match found {
        None => None,
        Some(record) => {
            let version = record
                .data()
                .get("version")
                .and_then(|v| v.as_u64())
                .and_then(|v| u8::try_from(v).ok());
            match version {
                Some(v) if *record.data() == data(worker, seq, v) => Some(v),
                _ => return Some(format!("is corrupt: {:?}", record.data())),
            }
        }
    };
    (!writes.allows(version, durable, stale)).then(|| {
        format!(
            "holds version {version:?}, but its writes (version, acknowledged) were {:?}",
            writes.0
        )
    })
}

struct Worker {
    id: usize,
    store: Arc<dyn SessionStore>,
    ctx: StoreContext,
    log: Arc<Mutex<Log>>,
    crash: Crash,
}

impl Worker {
    async fn run(&self, stop: &std::sync::atomic::AtomicBool) {
        let mut seq = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            self.session(seq).await;
            seq += 1;
            // Other tasks (and the server) get the cores too.
            tokio::task::yield_now().await;
        }
    }

    /// Creates session `seq`, loads it, saves version 2, loads it.
    async fn session(&self, seq: u64) {
        let key = SessionKey::generate();
        let Some(key) = self.write(seq, &key, 1).await else {
            return;
        };
        self.read(seq, &key).await;
        self.write(seq, &key, 2).await;
        self.read(seq, &key).await;
    }

    /// Writes version `version` (1: `create`, 2: `save`); the key stored under on success.
    async fn write(&self, seq: u64, key: &SessionKey, version: u8) -> Option<SessionKey> {
        let data = data(self.id, seq, version);
        let record = SessionRecord::new(data.clone(), self.ctx.expiry_date(&data, self.ctx.now()));
        let (what, call) = if version == 1 {
            ("create", self.store.create(key, &record))
        } else {
            ("save", self.store.save(key, &record))
        };
        let (stored, outcome) = self.timed(call).await;
        let stored_key = stored.clone().unwrap_or_else(|| key.clone());
        let mut log = self.log.lock().unwrap();
        let (_, writes) = log
            .sessions
            .entry((self.id, seq))
            .or_insert_with(|| (stored_key, Writes::default()));
        writes.0.push((version, stored.is_some()));
        log.calls.push(outcome.into_call(self.id, what));
        stored
    }

    async fn read(&self, seq: u64, key: &SessionKey) {
        let (found, outcome) = self.timed(self.store.load(key)).await;
        let mut log = self.log.lock().unwrap();
        if let Some(found) = found {
            let writes = &log.sessions[&(self.id, seq)].1;
            if let Some(problem) = check(
                self.id,
                seq,
                writes,
                found.as_ref(),
                self.crash.durable,
                self.crash.truth.is_some(),
            ) {
                log.violations
                    .push(format!("task {} load of session {seq} {problem}", self.id));
            }
        }
        log.calls.push(outcome.into_call(self.id, "load"));
    }

    async fn timed<T>(
        &self,
        call: impl std::future::Future<Output = session_core::Result<T>>,
    ) -> (Option<T>, Timed) {
        let started = Instant::now();
        let result = tokio::time::timeout(self.crash.limit + HUNG, call).await;
        let took = started.elapsed();
        let (value, outcome) = match result {
            Ok(Ok(value)) => (Some(value), Outcome::Ok),
            Ok(Err(e)) => (
                None,
                Outcome::Failed {
                    backend: e.is_backend(),
                    error: e.to_string(),
                },
            ),
            Err(_) => (None, Outcome::Hung),
        };
        (
            value,
            Timed {
                started,
                took,
                outcome,
            },
        )
    }
}

struct Timed {
    started: Instant,
    took: Duration,
    outcome: Outcome,
}

impl Timed {
    fn into_call(self, worker: usize, what: &'static str) -> Call {
        Call {
            worker,
            what,
            started: self.started,
            took: self.took,
            outcome: self.outcome,
        }
    }
}
