//! Latency recording and the numbers a cell reports: ops/s, p50, p99.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Per-operation latencies of one client (or, merged, of a whole cell), in nanoseconds, with
/// three significant digits from 1 ns to one minute.
#[derive(Debug, Clone)]
pub struct Latencies {
    histogram: Histogram<u64>,
    busy: Duration,
    errors: u64,
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// An empty recorder.
    pub fn new() -> Self {
        Latencies {
            histogram: Histogram::new_with_bounds(1, 60_000_000_000, 3)
                .expect("static histogram bounds are valid"),
            busy: Duration::ZERO,
            errors: 0,
        }
    }

    /// Records one successful operation that took `took`.
    pub fn record(&mut self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.histogram.saturating_record(nanos);
        self.busy += took;
    }

    /// Counts one failed operation (its time is not recorded).
    pub fn record_error(&mut self) {
        self.errors += 1;
    }

    /// Adds another recorder's operations to this one.
    pub fn merge(&mut self, other: &Latencies) {
        self.histogram
            .add(&other.histogram)
            .expect("histograms with the same bounds merge");
        self.busy += other.busy;
        self.errors += other.errors;
    }

    /// Successful operations recorded.
    pub fn ops(&self) -> u64 {
        self.histogram.len()
    }

    /// Failed operations.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Time spent inside timed operations, summed over clients.
    pub fn busy(&self) -> Duration {
        self.busy
    }

    /// The latency below which `quantile` (0 to 1) of the operations fall.
    pub fn quantile(&self, quantile: f64) -> Duration {
        if self.histogram.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.histogram.value_at_quantile(quantile))
    }
}

/// How a cell's throughput is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throughput {
    /// Operations per second of the measured wall-clock span: clients do nothing but timed
    /// operations.
    Wall,
    /// Operations per second of busy time per client (`clients * ops / busy`): clients also
    /// do untimed set-up between operations (the delete workload creates its victims).
    Busy,
}

/// What one cell measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Successful operations in the measured window.
    pub ops: u64,
    /// Failed operations in the measured window.
    pub errors: u64,
    /// Operations per second.
    pub ops_per_sec: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th-percentile latency.
    pub p99: Duration,
}

impl Summary {
    /// Summarises `latencies` measured by `clients` clients over `window`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use session_bench::stats::{Latencies, Summary, Throughput};
    /// let mut l = Latencies::new();
    /// for _ in 0..100 { l.record(Duration::from_millis(10)); }
    /// let s = Summary::of(&l, 1, Duration::from_secs(1), Throughput::Wall);
    /// assert_eq!(s.ops_per_sec, 100.0);
    /// let s = Summary::of(&l, 1, Duration::from_secs(5), Throughput::Busy);
    /// assert!((s.ops_per_sec - 100.0).abs() < 0.01);
    /// ```
    pub fn of(latencies: &Latencies, clients: usize, window: Duration, how: Throughput) -> Self {
        let ops = latencies.ops();
        let seconds = match how {
            Throughput::Wall => window.as_secs_f64(),
            Throughput::Busy => latencies.busy().as_secs_f64() / clients.max(1) as f64,
        };
        let ops_per_sec = if seconds > 0.0 {
            ops as f64 / seconds
        } else {
            0.0
        };
        Summary {
            ops,
            errors: latencies.errors(),
            ops_per_sec,
            p50: latencies.quantile(0.50),
            p99: latencies.quantile(0.99),
        }
    }
}

/// `engine / raw` throughput, when both measured something.
pub fn ratio(engine: f64, raw: f64) -> Option<f64> {
    (engine > 0.0 && raw > 0.0).then(|| engine / raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Within the histogram's three significant digits.
    fn close(a: Duration, b: Duration) -> bool {
        let (a, b) = (a.as_nanos() as f64, b.as_nanos() as f64);
        (a - b).abs() <= b * 0.001 + 1.0
    }

    #[test]
    fn percentiles_of_a_uniform_spread() {
        let mut l = Latencies::new();
        for n in 1..=100 {
            l.record(ms(n));
        }
        assert_eq!(l.ops(), 100);
        assert!(close(l.quantile(0.5), ms(50)), "{:?}", l.quantile(0.5));
        assert!(close(l.quantile(0.99), ms(99)), "{:?}", l.quantile(0.99));
        assert!(close(l.quantile(1.0), ms(100)));
    }

    #[test]
    fn a_slow_tail_shows_in_p99_not_p50() {
        let mut l = Latencies::new();
        for _ in 0..980 {
            l.record(Duration::from_micros(100));
        }
        for _ in 0..20 {
            l.record(ms(50));
        }
        assert!(close(l.quantile(0.5), Duration::from_micros(100)));
        assert!(close(l.quantile(0.99), ms(50)), "{:?}", l.quantile(0.99));
    }

    #[test]
    fn merging_adds_ops_busy_time_and_errors() {
        let mut a = Latencies::new();
        let mut b = Latencies::new();
        a.record(ms(1));
        b.record(ms(3));
        b.record(ms(3));
        b.record_error();
        a.merge(&b);
        assert_eq!(a.ops(), 3);
        assert_eq!(a.errors(), 1);
        assert_eq!(a.busy(), ms(7));
        assert!(close(a.quantile(0.5), ms(3)));
    }

    #[test]
    fn throughput_by_wall_clock_and_by_busy_time() {
        let mut l = Latencies::new();
        for _ in 0..400 {
            l.record(ms(5)); // 2 s of busy time over 4 clients: 0.5 s each
        }
        let wall = Summary::of(&l, 4, Duration::from_secs(2), Throughput::Wall);
        assert_eq!(wall.ops_per_sec, 200.0);
        let busy = Summary::of(&l, 4, Duration::from_secs(2), Throughput::Busy);
        assert!(
            (busy.ops_per_sec - 800.0).abs() < 1e-6,
            "{}",
            busy.ops_per_sec
        );
        assert!(close(busy.p50, ms(5)));
    }

    #[test]
    fn empty_cells_report_zero_not_nan() {
        let s = Summary::of(&Latencies::new(), 16, Duration::ZERO, Throughput::Wall);
        assert_eq!((s.ops, s.ops_per_sec, s.p99), (0, 0.0, Duration::ZERO));
        assert_eq!(ratio(0.0, 10.0), None);
        assert_eq!(ratio(9.0, 10.0), Some(0.9));
    }
}
