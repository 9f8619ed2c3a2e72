//! # session-bench
//!
//! Every engine against the others and against its raw client (not published):
//!
//! ```text
//! session-bench --quick                           # about a minute, 2 KiB, 16 clients
//! session-bench                                   # every workload x payload x concurrency
//! session-bench --engine embedded --workload load-hit,save --payload 2k --concurrency 16
//! session-bench --duration 2s --json bench.json --svg bench.svg
//! ```
//!
//! (`cargo run --release -p session-bench -- --quick` from the workspace.)
//!
//! Each cell (engine, workload, payload, concurrency) runs N clients as tokio tasks for a
//! warm-up and then a measured window, through the API applications use: a
//! [`SessionManager`] over `Arc<dyn SessionStore>`, one [`Session`](session_core::Session)
//! per operation, `get` / `insert` / `save` / `flush`. Right after it, the engine's raw
//! client runs the same cell on the same backend with the same pool shape and payload (see
//! [`baselines`]); `vs raw` is the session layer's share of the backend's speed.
//!
//! Decisions:
//! - **The session layer's whole cost counts**: codec (JSON, zlib, HMAC), key generation and
//!   validation, expiry, the `Session` handle. Raw clients write the payload pre-encoded.
//! - **save = load + save**: changing one key of a stored session is what a request does,
//!   so its raw baseline is a read then a write by key.
//! - **delete** deletes sessions created, untimed, just before; its throughput is counted
//!   over busy time (`clients * ops / busy`), all other workloads over the wall clock.
//! - **Each engine works in its own table, directory or key prefix** named after the run,
//!   and removes it at the end; an engine whose server does not answer is listed as skipped
//!   with the reason.
//! - **A load that returns the wrong answer is an error**, counted and reported: a broken
//!   engine cannot look fast.
//! - The signing secret is the benchmark's own; the configured `SECRET_KEY` is not read.
//! - **A binary of its own**, not a `sessions` subcommand: the published CLI does not pull
//!   the raw clients (sqlx, redis, memcache), the histogram and the progress bar.

pub mod baselines;
pub mod engines;
pub mod payload;
pub mod report;
pub mod runner;
pub mod stats;
pub mod target;
pub mod workload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use session_core::{Conflicts, SessionKey, SessionManager, SessionSettings, StoreContext};

use crate::engines::{Opened, Setup, Skip};
use crate::report::{RawRow, Report, Row, RunInfo};
use crate::runner::{CellShape, Keys, run_cell};
use crate::target::{Payload, SessionTarget, Target};
use crate::workload::Workload;

/// Concurrency levels of a full run.
pub const CONCURRENCY: [usize; 3] = [1, 16, 64];
/// Measured window of each cell in a full run.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(1);
/// What `--quick` aims at for the whole run's measuring, set-up aside.
pub const QUICK_BUDGET: Duration = Duration::from_secs(50);
/// Sessions stored before the cells of a payload run, for loads and saves to pick from.
pub const SEEDED_SESSIONS: usize = 256;

/// `session-bench` options.
#[derive(Debug, Clone, Default, Args)]
pub struct BenchArgs {
    /// A run of about a minute: 2 KiB payload, 16 clients, short cells.
    #[arg(long)]
    pub quick: bool,
    /// Engines, comma-separated: names, `embedded`, `networked` or `all` (default: all).
    #[arg(long = "engine", value_delimiter = ',')]
    pub engines: Vec<String>,
    /// Workloads, comma-separated: create, load-hit, load-miss, save, delete, mixed.
    #[arg(long = "workload", value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Payload sizes, comma-separated: 200, 2k, 16k (bytes of session JSON).
    #[arg(long = "payload", value_delimiter = ',')]
    pub payloads: Vec<String>,
    /// Concurrent clients, comma-separated (default: 1,16,64).
    #[arg(long = "concurrency", value_delimiter = ',')]
    pub concurrency: Vec<usize>,
    /// Measured window of each cell: 2s, 500ms, 0.2 (seconds). Default 1s; with --quick,
    /// what fits the minute.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Untimed warm-up before each cell (default: a quarter of the window, at most 1s).
    #[arg(long, value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also write a bar chart of ops/s per engine and workload as SVG to this file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// SESSION_CONFLICTS to measure: `overwrite` (default), `detect` (engines listed as
    /// `NAME-detect`) or `both` (each engine twice, side by side; the raw client once).
    #[arg(long, default_value = "overwrite", value_parser = parse_conflict_modes)]
    pub conflicts: ConflictModes,
}

/// Which `SESSION_CONFLICTS` settings a run measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConflictModes {
    /// Django's last-save-wins only.
    #[default]
    Overwrite,
    /// Compare-and-swap saves only.
    Detect,
    /// Both, each engine twice.
    Both,
}

impl ConflictModes {
    fn settings(self) -> &'static [Conflicts] {
        match self {
            ConflictModes::Overwrite => &[Conflicts::Overwrite],
            ConflictModes::Detect => &[Conflicts::Detect],
            ConflictModes::Both => &[Conflicts::Overwrite, Conflicts::Detect],
        }
    }
}

fn parse_conflict_modes(text: &str) -> Result<ConflictModes, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "overwrite" => Ok(ConflictModes::Overwrite),
        "detect" => Ok(ConflictModes::Detect),
        "both" => Ok(ConflictModes::Both),
        other => Err(format!("{other:?}: use overwrite, detect or both")),
    }
}

/// `2s`, `500ms`, `1.5` (seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(ms) = t.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = t.strip_suffix('s') {
        (s, 1.0)
    } else {
        (t, 1.0)
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or_else(|| format!("{text:?} is not a duration (2s, 500ms, 0.5)"))
}

/// The cells a run measures, per engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Workloads, in report order.
    pub workloads: Vec<Workload>,
    /// Payload sizes in bytes.
    pub payloads: Vec<usize>,
    /// Client counts.
    pub concurrency: Vec<usize>,
    /// Whether `--quick` chose them.
    pub quick: bool,
}

impl Plan {
    /// The plan `args` ask for; a bad filter value is an error.
    pub fn from_args(args: &BenchArgs) -> Result<Self, String> {
        let workloads = if args.workloads.is_empty() {
            Workload::ALL.to_vec()
        } else {
            args.workloads
                .iter()
                .map(|w| {
                    Workload::parse(w).ok_or_else(|| {
                        format!("unknown workload {w:?}: use create, load-hit, load-miss, save, delete or mixed")
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let payloads = if !args.payloads.is_empty() {
            args.payloads
                .iter()
                .map(|p| {
                    payload::parse_size(p)
                        .filter(|&n| n <= 1 << 20)
                        .ok_or_else(|| {
                            format!("bad payload size {p:?}: use 200, 2k, 16k (at most 1024k)")
                        })
                })
                .collect::<Result<_, _>>()?
        } else if args.quick {
            vec![2048]
        } else {
            payload::SIZES.to_vec()
        };
        let concurrency = if !args.concurrency.is_empty() {
            if let Some(bad) = args.concurrency.iter().find(|&&c| c == 0 || c > 4096) {
                return Err(format!("bad concurrency {bad}: use 1 to 4096"));
            }
            args.concurrency.clone()
        } else if args.quick {
            vec![16]
        } else {
            CONCURRENCY.to_vec()
        };
        Ok(Plan {
            workloads,
            payloads,
            concurrency,
            quick: args.quick,
        })
    }

    /// Cells per engine.
    pub fn cells(&self) -> usize {
        self.workloads.len() * self.payloads.len() * self.concurrency.len()
    }

    /// Warm-up and window of each cell, given `runs` cell runs in all (engine and raw).
    pub fn timing(&self, args: &BenchArgs, runs: usize) -> (Duration, Duration) {
        let duration = args.duration.unwrap_or_else(|| {
            if self.quick {
                // Window plus a fifth for warm-up, shared out over every run.
                let per_run = QUICK_BUDGET.as_secs_f64() / runs.max(1) as f64 / 1.2;
                Duration::from_secs_f64(per_run.clamp(0.1, 3.0))
            } else {
                DEFAULT_DURATION
            }
        });
        let warmup = args.warmup.unwrap_or_else(|| {
            let share = if self.quick { 5 } else { 4 };
            (duration / share).min(Duration::from_secs(1))
        });
        (warmup, duration)
    }
}

/// Runs the benchmark `args` describe, with a progress bar on stderr, and returns the
/// report (the caller prints it).
pub async fn run(args: &BenchArgs) -> Result<Report, String> {
    let plan = Plan::from_args(args)?;
    let specs = engines::select(&args.engines)?;
    let mut settings = SessionSettings::new(format!(
        "sessions-bench-{}",
        SessionKey::generate().as_str()
    ))
    .map_err(|e| e.to_string())?;
    // Whatever the run leaves in a cache that cannot list its keys expires soon.
    settings.cookie_age = engines::BENCH_TTL.as_secs() as i64;
    let contexts = args.conflicts.settings().iter().map(|&conflicts| {
        let mut settings = settings.clone();
        settings.conflicts = conflicts;
        (conflicts, StoreContext::new(settings))
    });
    let contexts: Vec<_> = contexts.collect();
    let work_dir = tempfile::Builder::new()
        .prefix("sessions-bench-")
        .tempdir()
        .map_err(|e| format!("cannot make a working directory: {e}"))?;
    let run_id = run_id();

    let mut opened: Vec<(&'static str, StoreContext, Opened)> = Vec::new();
    let mut skipped = Vec::new();
    for spec in specs {
        for (conflicts, ctx) in &contexts {
            let detect = *conflicts == Conflicts::Detect;
            let name = if detect {
                // Names live for the run; a handful of bytes.
                &*Box::leak(format!("{}-detect", spec.name).into_boxed_str())
            } else {
                spec.name
            };
            let dir = work_dir.path().join(name);
            if let Err(e) = std::fs::create_dir_all(&dir) {
                skipped.push((name.to_owned(), format!("{}: {e}", dir.display())));
                continue;
            }
            let setup = Setup {
                ctx: ctx.clone(),
                run_id: run_id.clone(),
                work_dir: dir,
                engine: name,
            };
            match (spec.open)(setup).await {
                Ok(engine) if detect && !engine.store.supports_conflict_detection() => {
                    skipped.push((name.to_owned(), "cannot detect conflicts".to_owned()));
                    if let Err(e) = (engine.teardown)().await {
                        eprintln!("session-bench: cleaning up {name}: {e}");
                    }
                }
                Ok(mut engine) => {
                    if detect && args.conflicts == ConflictModes::Both {
                        // The raw client runs once, with the engine's first row.
                        engine.raw = None;
                    }
                    opened.push((name, ctx.clone(), engine));
                }
                Err(Skip(reason)) => skipped.push((name.to_owned(), reason)),
            }
        }
    }

    let runs: usize = opened
        .iter()
        .map(|(_, _, e)| plan.cells() * (1 + usize::from(e.raw.is_some())))
        .sum();
    let (warmup, duration) = plan.timing(args, runs);
    let progress = progress_bar(runs as u64);
    let mut rows = Vec::new();
    for (name, ctx, engine) in opened {
        // Every engine was opened with `ctx` (`Setup::ctx`).
        let sessions = SessionManager::build(ctx.clone(), |_| Ok(engine.store.clone()))
            .map_err(|e| e.to_string())?;
        let missing: Arc<Vec<String>> = Arc::new(
            (0..SEEDED_SESSIONS)
                .map(|_| SessionKey::generate().as_str().to_owned())
                .collect(),
        );
        for &size in &plan.payloads {
            let cell = PayloadRun {
                name,
                sessions: &sessions,
                engine: &engine,
                ctx: &ctx,
                plan: &plan,
                warmup,
                duration,
                progress: &progress,
                missing: &missing,
            };
            match cell.run(size).await {
                Ok(measured) => rows.extend(measured),
                Err(reason) => {
                    // Skip this payload only (a 16 KiB session does not fit in a cookie).
                    let runs = plan.workloads.len() * plan.concurrency.len();
                    progress.inc((runs * (1 + usize::from(engine.raw.is_some()))) as u64);
                    skipped.push((format!("{} {}", name, payload::label(size)), reason));
                }
            }
        }
        if let Err(e) = (engine.teardown)().await {
            progress.suspend(|| eprintln!("session-bench: cleaning up {name}: {e}"));
        }
    }
    progress.finish_and_clear();
    Ok(Report {
        run: RunInfo::here(warmup, duration, plan.quick),
        rows,
        skipped,
    })
}

/// One engine's cells for one payload size.
struct PayloadRun<'a> {
    name: &'static str,
    sessions: &'a SessionManager,
    engine: &'a Opened,
    ctx: &'a StoreContext,
    plan: &'a Plan,
    warmup: Duration,
    duration: Duration,
    progress: &'a ProgressBar,
    missing: &'a Arc<Vec<String>>,
}

impl PayloadRun<'_> {
    /// Seeds, then runs every workload and concurrency on the engine and its raw client.
    async fn run(&self, size: usize) -> Result<Vec<Row>, String> {
        let PayloadRun {
            name,
            sessions,
            engine,
            ctx,
            plan,
            warmup,
            duration,
            progress,
            missing,
        } = *self;
        let mut rows = Vec::new();
        let payload = Payload::new(size, payload::session_data(size), ctx)
            .map_err(|e| format!("preparing the payload: {e}"))?;
        let session: Arc<dyn Target> = Arc::new(SessionTarget::new(sessions.clone(), &payload));
        let raw = engine
            .raw
            .as_ref()
            .map(|raw| (raw.name().to_owned(), raw.target(&payload)));
        let reseed = || async {
            let session_keys = Keys {
                stored: Arc::new(seed(&session).await.map_err(|e| format!("seeding: {e}"))?),
                missing: missing.clone(),
            };
            let raw_keys = match &raw {
                Some((_, target)) => Some(Keys {
                    stored: Arc::new(
                        seed(target)
                            .await
                            .map_err(|e| format!("seeding raw: {e}"))?,
                    ),
                    missing: missing.clone(),
                }),
                None => None,
            };
            Ok::<_, String>((session_keys, raw_keys))
        };
        let (mut session_keys, mut raw_keys) = reseed().await?;
        let mut fresh = true;
        for &workload in &plan.workloads {
            for &clients in &plan.concurrency {
                // A bounded cache may have evicted the seeded sessions to make room for
                // the ones the last cell created: cells that read them get fresh ones.
                let reads_stored = matches!(
                    workload,
                    Workload::LoadHit | Workload::Save | Workload::Mixed
                );
                if reads_stored && !fresh {
                    (session_keys, raw_keys) = reseed().await?;
                }
                fresh = false;
                let shape = CellShape {
                    clients,
                    warmup,
                    duration,
                };
                let label = format!("{name} {workload} {} x{clients}", payload::label(size));
                progress.set_message(label.clone());
                let result = run_cell(session.clone(), workload, shape, session_keys.clone()).await;
                progress.inc(1);
                let raw_row = match (&raw, &raw_keys) {
                    (Some((client, target)), Some(keys)) => {
                        progress.set_message(format!("{label} (raw {client})"));
                        let result = run_cell(target.clone(), workload, shape, keys.clone()).await;
                        progress.inc(1);
                        Some(RawRow {
                            client: client.clone(),
                            result,
                        })
                    }
                    _ => None,
                };
                rows.push(Row {
                    engine: name.to_owned(),
                    workload,
                    payload: size,
                    clients,
                    result,
                    raw: raw_row,
                });
            }
        }
        Ok(rows)
    }
}

/// Stores [`SEEDED_SESSIONS`] sessions through `target`, 8 at a time.
async fn seed(target: &Arc<dyn Target>) -> session_core::Result<Vec<String>> {
    const WORKERS: usize = 8;
    let tasks: Vec<_> = (0..WORKERS)
        .map(|w| {
            let target = target.clone();
            tokio::spawn(async move {
                let mut keys = Vec::new();
                for _ in (w..SEEDED_SESSIONS).step_by(WORKERS) {
                    keys.push(target.seed().await?);
                }
                Ok::<_, session_core::Error>(keys)
            })
        })
        .collect();
    let mut keys = Vec::with_capacity(SEEDED_SESSIONS);
    for task in tasks {
        keys.extend(
            task.await
                .map_err(|e| session_core::Error::backend("seeding", e))??,
        );
    }
    Ok(keys)
}

/// `[a-z0-9]`, unique enough between concurrent runs: the process id and the time.
fn run_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    format!("{}t{millis}", std::process::id())
}

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} [{elapsed}<{eta}] {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(f: impl FnOnce(&mut BenchArgs)) -> BenchArgs {
        let mut a = BenchArgs::default();
        f(&mut a);
        a
    }

    #[test]
    fn full_plan_is_every_workload_payload_and_concurrency() {
        let plan = Plan::from_args(&BenchArgs::default()).unwrap();
        assert_eq!(plan.cells(), 6 * 3 * 3);
        assert_eq!(plan.timing(&BenchArgs::default(), 1000).1, DEFAULT_DURATION);
    }

    #[test]
    fn quick_plan_fits_the_minute() {
        let a = args(|a| a.quick = true);
        let plan = Plan::from_args(&a).unwrap();
        assert_eq!(
            (plan.payloads.clone(), plan.concurrency.clone()),
            (vec![2048], vec![16])
        );
        for engines in [3, 13] {
            let runs = plan.cells() * 2 * engines;
            let (warmup, duration) = plan.timing(&a, runs);
            let total = (warmup + duration) * runs as u32;
            assert!(total <= Duration::from_secs(62), "{engines}: {total:?}");
            assert!(duration >= Duration::from_millis(100));
        }
    }

    #[test]
    fn filters_and_their_errors() {
        let a = args(|a| {
            a.workloads = vec!["save".into(), "mixed".into()];
            a.payloads = vec!["200".into()];
            a.concurrency = vec![4];
            a.duration = Some(Duration::from_millis(50));
        });
        let plan = Plan::from_args(&a).unwrap();
        assert_eq!(plan.workloads, [Workload::Save, Workload::Mixed]);
        assert_eq!(plan.cells(), 2);
        let (warmup, duration) = plan.timing(&a, 4);
        assert_eq!(
            (warmup, duration),
            (Duration::from_micros(12500), Duration::from_millis(50))
        );
        assert!(Plan::from_args(&args(|a| a.workloads = vec!["nope".into()])).is_err());
        assert!(Plan::from_args(&args(|a| a.payloads = vec!["2mb".into()])).is_err());
        assert!(Plan::from_args(&args(|a| a.concurrency = vec![0])).is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[tokio::test]
    async fn embedded_engines_measure_through_the_session_layer() {
        let a = args(|a| {
            a.engines = vec!["sqlite-memory".into(), "file".into()];
            a.workloads = vec!["load-hit".into(), "delete".into()];
            a.payloads = vec!["200".into()];
            a.concurrency = vec![2];
            a.duration = Some(Duration::from_millis(100));
        });
        let report = run(&a).await.unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        assert_eq!(report.rows.len(), 4);
        for row in &report.rows {
            assert!(row.result.ops > 0 && row.result.errors == 0, "{row:?}");
            let raw = row.raw.as_ref().expect("db and file have raw clients");
            assert!(raw.result.ops > 0 && raw.result.errors == 0, "{row:?}");
            assert!(row.ratio().is_some());
        }
    }
}
