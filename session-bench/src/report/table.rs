//! The text table printed on stdout.

use crate::payload;
use crate::report::{Report, format_latency, format_rate};

const HEADERS: [&str; 10] = [
    "engine",
    "workload",
    "payload",
    "clients",
    "ops/s",
    "p50",
    "p99",
    "raw",
    "raw ops/s",
    "vs raw",
];

/// The report as an aligned text table (numbers right-aligned), then the skipped engines
/// and any errors.
pub fn render(report: &Report) -> String {
    let mut cells: Vec<[String; 10]> = Vec::new();
    for row in &report.rows {
        let (client, raw_rate) = match &row.raw {
            Some(raw) => (raw.client.clone(), format_rate(raw.result.ops_per_sec)),
            None => ("-".into(), "-".into()),
        };
        cells.push([
            row.engine.clone(),
            row.workload.name().into(),
            payload::label(row.payload),
            row.clients.to_string(),
            format_rate(row.result.ops_per_sec),
            format_latency(row.result.p50),
            format_latency(row.result.p99),
            client,
            raw_rate,
            row.ratio().map_or("-".into(), |r| format!("{r:.2}")),
        ]);
    }
    let mut widths = HEADERS.map(|h| h.chars().count());
    for line in &cells {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let right = |i: usize| matches!(i, 2..=6 | 8 | 9);
    let mut out = String::new();
    let mut push_line = |line: &[String]| {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i > 0 {
                text.push_str("  ");
            }
            if right(i) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    push_line(&HEADERS.map(String::from));
    push_line(&widths.map(|w| "-".repeat(w)));
    for line in &cells {
        push_line(line);
    }
    for (engine, reason) in &report.skipped {
        out.push_str(&format!("{engine}: skipped: {reason}\n"));
    }
    for row in report.rows.iter().filter(|r| r.result.errors > 0) {
        out.push_str(&format!(
            "{} {} {} x{}: {} operations failed\n",
            row.engine,
            row.workload,
            payload::label(row.payload),
            row.clients,
            row.result.errors
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn lists_every_row_aligned_and_the_skipped_engines() {
        let report = sample::report();
        let text = render(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("engine"), "{text}");
        assert!(lines[0].contains("vs raw"));
        let rows = &lines[2..2 + report.rows.len()];
        assert!(rows[0].starts_with("sqlite-file  load-hit"), "{text}");
        assert!(rows[0].ends_with("0.90"), "{text}");
        assert!(rows[0].contains("18,000") && rows[0].contains("20,000"));
        assert!(rows.last().unwrap().ends_with('-'));
        // Right-aligned columns end at the same place on every line.
        let end_of_ops = lines[0].find("ops/s").unwrap() + "ops/s".len();
        for row in rows {
            let last = row.as_bytes()[end_of_ops - 1];
            assert!(last.is_ascii_digit(), "{row}");
            assert_eq!(row.as_bytes()[end_of_ops], b' ', "{row}");
        }
        assert!(text.contains("postgres: skipped: connection refused"));
    }
}
