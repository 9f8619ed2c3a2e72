//! Runs one cell: N concurrent clients repeating a workload's operations on a target for a
//! warm-up and then a measured window.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::stats::{Latencies, Summary, Throughput};
use crate::target::Target;
use crate::workload::{Op, Spread, Workload};

/// How long a cell runs and how many clients it has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellShape {
    /// Concurrent clients (tokio tasks).
    pub clients: usize,
    /// Untimed run before measuring (fills caches, pools, the page cache).
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
}

/// The keys a cell works on.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Keys of stored sessions (loads and saves pick among them).
    pub stored: Arc<Vec<String>>,
    /// Valid keys nothing is stored under.
    pub missing: Arc<Vec<String>>,
}

/// Runs `workload` on `target` with `shape`'s clients, warm-up and window.
///
/// Every client starts its operation count at a different offset so that the mixed
/// workload's creates and saves do not all happen at once. Operations started during the
/// warm-up are not recorded; the last operation of each client may end after the window,
/// and a client that has recorded nothing when the window closes (its operations are
/// slower than the window) starts one more, so every cell measures something. Wall-clock
/// throughput is counted up to the end of the last client's last operation. The delete
/// workload creates each victim (untimed) right before deleting it, so its throughput is
/// counted over busy time rather than wall-clock time.
pub async fn run_cell(
    target: Arc<dyn Target>,
    workload: Workload,
    shape: CellShape,
    keys: Keys,
) -> Summary {
    let clients = shape.clients.max(1);
    let started = Instant::now();
    let measure_from = started + shape.warmup;
    let stop_at = measure_from + shape.duration;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let target = target.clone();
            let keys = keys.clone();
            tokio::spawn(async move {
                client_loop(&*target, workload, client, measure_from, stop_at, &keys).await
            })
        })
        .collect();
    let mut total = Latencies::new();
    for task in tasks {
        match task.await {
            Ok(latencies) => total.merge(&latencies),
            // A panicking target counts as one error, not a crashed benchmark.
            Err(_) => total.record_error(),
        }
    }
    let how = if workload == Workload::Delete {
        Throughput::Busy
    } else {
        Throughput::Wall
    };
    let measured = Instant::now().max(stop_at) - measure_from;
    Summary::of(&total, clients, measured, how)
}

async fn client_loop(
    target: &dyn Target,
    workload: Workload,
    client: usize,
    measure_from: Instant,
    stop_at: Instant,
    keys: &Keys,
) -> Latencies {
    let mut latencies = Latencies::new();
    let mut spread = Spread::new(client as u64 * 7919 + 1);
    let mut n = client as u64 * 7;
    loop {
        let op = workload.op(n);
        n += 1;
        let key = match op {
            Op::Create => String::new(),
            Op::LoadMiss => pick(&keys.missing, &mut spread),
            Op::Load | Op::Save => pick(&keys.stored, &mut spread),
            Op::Delete => match target.seed().await {
                Ok(victim) => victim,
                Err(_) => {
                    if Instant::now() >= measure_from {
                        latencies.record_error();
                    }
                    if Instant::now() >= stop_at {
                        return latencies;
                    }
                    continue;
                }
            },
        };
        let begun = Instant::now();
        if begun >= stop_at && latencies.ops() + latencies.errors() > 0 {
            return latencies;
        }
        let result = target.run(op, &key, n).await;
        let took = begun.elapsed();
        if begun >= measure_from {
            match result {
                Ok(()) => latencies.record(took),
                Err(_) => latencies.record_error(),
            }
        }
        if n % 64 == 0 {
            // CPU-bound targets (cookies) never wait: let the other clients run too.
            tokio::task::yield_now().await;
        }
    }
}

fn pick(keys: &[String], spread: &mut Spread) -> String {
    if keys.is_empty() {
        return String::new();
    }
    keys[spread.index(keys.len())].clone()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use session_core::{Result, async_trait};

    use super::*;
    use crate::target::wrong_answer;

    /// A target that sleeps a fixed time per operation and counts what it was asked.
    #[derive(Default)]
    struct Sleepy {
        seen: Mutex<Vec<Op>>,
        fail_loads: bool,
    }

    #[async_trait]
    impl Target for Sleepy {
        async fn seed(&self) -> Result<String> {
            Ok("victimkey".into())
        }
        async fn run(&self, op: Op, _key: &str, _n: u64) -> Result<()> {
            // Creates are slow, so a delete timed with its untimed create shows at once.
            let pause = if op == Op::Create { 20 } else { 2 };
            tokio::time::sleep(Duration::from_millis(pause)).await;
            self.seen.lock().unwrap().push(op);
            if self.fail_loads && op == Op::Load {
                return Err(wrong_answer("test"));
            }
            Ok(())
        }
    }

    fn keys() -> Keys {
        Keys {
            stored: Arc::new(vec!["storedkey1".into(), "storedkey2".into()]),
            missing: Arc::new(vec!["missingkey".into()]),
        }
    }

    fn shape(clients: usize) -> CellShape {
        CellShape {
            clients,
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn clients_run_concurrently_for_the_window() {
        let target = Arc::new(Sleepy::default());
        let s = run_cell(target.clone(), Workload::LoadHit, shape(4), keys()).await;
        // 4 clients * 200 ms / ~2 ms per op: about 400 ops, fewer on a loaded machine.
        assert!(s.ops > 100 && s.ops < 450, "{s:?}");
        assert!(s.ops_per_sec > 500.0 && s.ops_per_sec < 2250.0, "{s:?}");
        assert!(s.p50 >= Duration::from_millis(2), "{s:?}");
        assert_eq!(s.errors, 0);
        // Warm-up operations ran but were not counted.
        assert!(target.seen.lock().unwrap().len() as u64 > s.ops);
    }

    /// Operations slower than the warm-up and the window together.
    struct Slow;

    #[async_trait]
    impl Target for Slow {
        async fn seed(&self) -> Result<String> {
            Ok("victimkey".into())
        }
        async fn run(&self, _op: Op, _key: &str, _n: u64) -> Result<()> {
            tokio::time::sleep(Duration::from_millis(60)).await;
            Ok(())
        }
    }

    #[tokio::test]
    async fn operations_slower_than_the_window_are_still_measured() {
        let shape = CellShape {
            clients: 2,
            warmup: Duration::from_millis(10),
            duration: Duration::from_millis(20),
        };
        let s = run_cell(Arc::new(Slow), Workload::Save, shape, keys()).await;
        // Each client's first operation began in the warm-up and ended after the window;
        // each then times one more: 2 operations over about 120 ms.
        assert_eq!(s.ops, 2, "{s:?}");
        assert!(s.ops_per_sec > 5.0 && s.ops_per_sec < 20.0, "{s:?}");
        assert!(s.p50 >= Duration::from_millis(60), "{s:?}");
    }

    #[tokio::test]
    async fn failures_are_counted_not_timed() {
        let target = Arc::new(Sleepy {
            fail_loads: true,
            ..Sleepy::default()
        });
        let s = run_cell(target, Workload::Mixed, shape(2), keys()).await;
        assert!(s.errors > 0 && s.ops > 0, "{s:?}");
        // Loads are 80% of the mix and all of them failed.
        let share = s.errors as f64 / (s.errors + s.ops) as f64;
        assert!((0.7..0.9).contains(&share), "{share}");
    }

    #[tokio::test]
    async fn delete_counts_busy_time() {
        let target = Arc::new(Sleepy::default());
        let s = run_cell(target.clone(), Workload::Delete, shape(1), keys()).await;
        assert!(s.ops > 20, "{s:?}");
        // One client, ~2 ms per delete: about 500/s by busy time; under 50/s if the 20 ms
        // create before each delete were counted. 100 leaves room for a loaded machine.
        assert!(s.ops_per_sec > 100.0 && s.ops_per_sec < 510.0, "{s:?}");
        assert!(
            target
                .seen
                .lock()
                .unwrap()
                .iter()
                .all(|&op| op == Op::Delete)
        );
    }
}
