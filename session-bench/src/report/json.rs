//! `--json FILE`: the report for machines.

use serde_json::{Value, json};

use crate::report::Report;
use crate::stats::Summary;

/// Version of the JSON shape; bumped when a field changes meaning or goes away.
pub const SHAPE_VERSION: u64 = 1;

fn summary(s: &Summary) -> Value {
    json!({
        "ops": s.ops,
        "errors": s.errors,
        "ops_per_sec": round(s.ops_per_sec, 1),
        "p50_us": round(s.p50.as_nanos() as f64 / 1e3, 3),
        "p99_us": round(s.p99.as_nanos() as f64 / 1e3, 3),
    })
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The report as JSON:
///
/// ```text
/// {"version": 1,
///  "machine": {"cores", "os", "arch"},
///  "settings": {"warmup_ms", "duration_ms", "quick"},
///  "results": [{"engine", "workload", "payload_bytes", "concurrency",
///               "ops", "errors", "ops_per_sec", "p50_us", "p99_us",
///               "raw": {"client", "ops", "errors", "ops_per_sec", "p50_us", "p99_us"} | null,
///               "ratio": number | null}],
///  "skipped": [{"engine", "reason"}]}
/// ```
pub fn render(report: &Report) -> Value {
    let results: Vec<Value> = report
        .rows
        .iter()
        .map(|row| {
            let mut out = json!({
                "engine": row.engine,
                "workload": row.workload.name(),
                "payload_bytes": row.payload,
                "concurrency": row.clients,
            });
            let fields = out.as_object_mut().expect("an object");
            if let Value::Object(measured) = summary(&row.result) {
                fields.extend(measured);
            }
            fields.insert(
                "raw".into(),
                row.raw.as_ref().map_or(Value::Null, |raw| {
                    let mut r = summary(&raw.result);
                    r.as_object_mut()
                        .expect("an object")
                        .insert("client".into(), raw.client.clone().into());
                    r
                }),
            );
            fields.insert(
                "ratio".into(),
                row.ratio().map_or(Value::Null, |r| round(r, 4).into()),
            );
            out
        })
        .collect();
    json!({
        "version": SHAPE_VERSION,
        "machine": {
            "cores": report.run.cores,
            "os": report.run.os,
            "arch": report.run.arch,
        },
        "settings": {
            "warmup_ms": report.run.warmup.as_millis() as u64,
            "duration_ms": report.run.duration.as_millis() as u64,
            "quick": report.run.quick,
        },
        "results": results,
        "skipped": report.skipped.iter().map(|(engine, reason)| json!({
            "engine": engine,
            "reason": reason,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn shape_of_the_json() {
        let report = sample::report();
        let text = serde_json::to_string_pretty(&render(&report)).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], 1);
        assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
        assert_eq!(v["settings"]["duration_ms"], 1000);
        assert_eq!(v["settings"]["quick"], true);
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), report.rows.len());
        let first = &results[0];
        assert_eq!(first["engine"], "sqlite-file");
        assert_eq!(first["workload"], "load-hit");
        assert_eq!(first["payload_bytes"], 2048);
        assert_eq!(first["concurrency"], 16);
        assert_eq!(first["ops_per_sec"], 18000.0);
        assert_eq!(first["p50_us"], 50.0);
        assert_eq!(first["p99_us"], 150.0);
        assert_eq!(first["raw"]["client"], "sql");
        assert_eq!(first["raw"]["ops_per_sec"], 20000.0);
        assert_eq!(first["ratio"], 0.9);
        let last = results.last().unwrap();
        assert!(last["raw"].is_null() && last["ratio"].is_null());
        assert_eq!(last["engine"], "a<b&c");
        assert_eq!(
            v["skipped"],
            json!([{"engine": "postgres", "reason": "connection refused"}])
        );
    }
}
