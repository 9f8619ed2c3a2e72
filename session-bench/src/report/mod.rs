//! What a run produced, and its three renderings: the text table, JSON and an SVG chart.

pub mod json;
pub mod svg;
pub mod table;

use std::time::Duration;

use crate::stats::{Summary, ratio};
use crate::workload::Workload;

/// One cell: an engine through the session layer, and its raw baseline on the same backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Engine name.
    pub engine: String,
    /// The workload.
    pub workload: Workload,
    /// Payload size in bytes.
    pub payload: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Through the session layer.
    pub result: Summary,
    /// The raw client's run of the same cell, if the engine has one.
    pub raw: Option<RawRow>,
}

/// A raw baseline's result.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The raw client (`sql`, `file`, `hmac+base64`...).
    pub client: String,
    /// What it measured.
    pub result: Summary,
}

impl Row {
    /// Session-layer throughput over raw throughput.
    pub fn ratio(&self) -> Option<f64> {
        let raw = self.raw.as_ref()?;
        ratio(self.result.ops_per_sec, raw.result.ops_per_sec)
    }
}

/// How the run was made and where.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Warm-up of each cell.
    pub warmup: Duration,
    /// Measured window of each cell.
    pub duration: Duration,
    /// Whether `--quick` chose the cells.
    pub quick: bool,
    /// CPUs the process may use.
    pub cores: usize,
    /// `linux`, `macos`...
    pub os: String,
    /// `x86_64`, `aarch64`...
    pub arch: String,
}

impl RunInfo {
    /// This machine, with the given cell timing.
    pub fn here(warmup: Duration, duration: Duration, quick: bool) -> Self {
        RunInfo {
            warmup,
            duration,
            quick,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The run's settings and machine.
    pub run: RunInfo,
    /// Every measured cell, in run order.
    pub rows: Vec<Row>,
    /// Engines not run, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// `12,345` or `1.23` style: whole numbers with thousands separators from 100 up.
pub fn format_rate(per_sec: f64) -> String {
    if per_sec < 100.0 {
        return format!("{per_sec:.1}");
    }
    let digits = format!("{:.0}", per_sec);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `850 ns`, `42.1 µs`, `3.20 ms`, `1.50 s`.
pub fn format_latency(d: Duration) -> String {
    let nanos = d.as_nanos() as f64;
    if nanos < 1_000.0 {
        format!("{nanos:.0} ns")
    } else if nanos < 1_000_000.0 {
        format!("{:.1} µs", nanos / 1e3)
    } else if nanos < 1_000_000_000.0 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.2} s", nanos / 1e9)
    }
}

#[cfg(test)]
pub(crate) mod sample {
    //! A small report for the renderers' tests.
    use super::*;

    pub fn summary(ops_per_sec: f64, p50_us: u64) -> Summary {
        Summary {
            ops: (ops_per_sec * 2.0) as u64,
            errors: 0,
            ops_per_sec,
            p50: Duration::from_micros(p50_us),
            p99: Duration::from_micros(p50_us * 3),
        }
    }

    pub fn report() -> Report {
        let mut rows = Vec::new();
        for (engine, base) in [("sqlite-file", 20_000.0), ("file", 9_000.0)] {
            for workload in [Workload::LoadHit, Workload::Save] {
                rows.push(Row {
                    engine: engine.into(),
                    workload,
                    payload: 2048,
                    clients: 16,
                    result: summary(base * 0.9, 50),
                    raw: Some(RawRow {
                        client: "sql".into(),
                        result: summary(base, 40),
                    }),
                });
            }
        }
        rows.push(Row {
            engine: "a<b&c".into(),
            workload: Workload::Create,
            payload: 200,
            clients: 1,
            result: summary(123.0, 8000),
            raw: None,
        });
        Report {
            run: RunInfo::here(Duration::from_millis(100), Duration::from_secs(1), true),
            rows,
            skipped: vec![("postgres".into(), "connection refused".into())],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_latencies_read_well() {
        assert_eq!(format_rate(1234567.4), "1,234,567");
        assert_eq!(format_rate(999.0), "999");
        assert_eq!(format_rate(12.34), "12.3");
        assert_eq!(format_latency(Duration::from_nanos(850)), "850 ns");
        assert_eq!(format_latency(Duration::from_micros(42)), "42.0 µs");
        assert_eq!(format_latency(Duration::from_micros(3200)), "3.20 ms");
    }

    #[test]
    fn ratio_needs_a_raw_run() {
        let report = sample::report();
        let with_raw = &report.rows[0];
        assert!((with_raw.ratio().unwrap() - 0.9).abs() < 1e-9);
        assert_eq!(report.rows.last().unwrap().ratio(), None);
    }
}
