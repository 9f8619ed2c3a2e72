//! `session-bench` through the binary, on the embedded engines only, with tiny cells.

use std::process::Command;

use serde_json::Value;

const EMBEDDED: [&str; 8] = [
    "sqlite-file",
    "sqlite-memory",
    "file",
    "memory",
    "memory-cache",
    "signed-cookie",
    "encrypted-cookie",
    "cachedb-memory-sqlite",
];

#[test]
fn bench_on_embedded_engines_prints_the_table_and_writes_json_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("bench.json");
    let svg_path = dir.path().join("bench.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_session-bench"))
        .args([
            "--engine",
            "embedded",
            "--workload",
            "load-hit,save,mixed",
            "--payload",
            "2k",
            "--concurrency",
            "2",
            "--duration",
            "40ms",
            "--warmup",
            "10ms",
        ])
        .arg("--json")
        .arg(&json_path)
        .arg("--svg")
        .arg(&svg_path)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    // The table: a header, then a row per engine, workload and size.
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("engine") && lines[0].contains("vs raw"),
        "{stdout}"
    );
    for engine in EMBEDDED {
        for workload in ["load-hit", "save", "mixed"] {
            let row = lines
                .iter()
                .find(|l| l.split_whitespace().take(2).eq([engine, workload]))
                .unwrap_or_else(|| panic!("no {engine} {workload} row in\n{stdout}"));
            // Every engine has a raw baseline, so a ratio, never "-".
            assert!(!row.ends_with('-'), "{row}");
        }
    }
    assert!(!stdout.contains("skipped"), "{stdout}");
    assert!(!stdout.contains("failed"), "{stdout}");

    let json: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), EMBEDDED.len() * 3);
    for result in results {
        assert!(EMBEDDED.contains(&result["engine"].as_str().unwrap()));
        assert_eq!(result["payload_bytes"], 2048);
        assert_eq!(result["concurrency"], 2);
        assert!(result["ops"].as_u64().unwrap() > 0, "{result}");
        assert_eq!(result["errors"], 0, "{result}");
        assert!(result["ops_per_sec"].as_f64().unwrap() > 0.0);
        assert!(result["p99_us"].as_f64().unwrap() >= result["p50_us"].as_f64().unwrap());
        assert!(
            result["raw"]["ops_per_sec"].as_f64().unwrap() > 0.0,
            "{result}"
        );
        assert!(result["ratio"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(json["skipped"], serde_json::json!([]));

    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches(r#"class="bar""#).count(), results.len());

    // Nothing left behind in the working directory.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn bad_filters_fail_with_a_message() {
    for args in [
        &["--engine", "oracle"][..],
        &["--workload", "update"],
        &["--payload", "2mb"],
        &["--duration", "soon"],
        &["--conflicts", "sometimes"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_session-bench"))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn conflicts_both_measures_each_engine_with_and_without_detection() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_session-bench"))
        .args([
            "--engine",
            "memory,sqlite-memory,signed-cookie",
            "--workload",
            "save",
            "--payload",
            "200",
            "--concurrency",
            "1",
            "--duration",
            "40ms",
            "--warmup",
            "10ms",
            "--conflicts",
            "both",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let row = |engine: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().take(2).eq([engine, "save"]))
            .unwrap_or_else(|| panic!("no {engine} save row in\n{stdout}"))
            .to_owned()
    };
    for engine in ["memory", "sqlite-memory", "signed-cookie"] {
        row(engine);
    }
    for engine in ["memory-detect", "sqlite-memory-detect"] {
        // No raw baseline the second time: it ran with the engine's first row.
        assert!(row(engine).trim_end().ends_with('-'), "{}", row(engine));
    }
    assert!(
        stdout.contains("signed-cookie-detect: skipped: cannot detect conflicts"),
        "{stdout}"
    );
    assert!(!stdout.contains("operations failed"), "{stdout}");
}
