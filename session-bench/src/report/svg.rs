//! `--svg FILE`: a horizontal bar chart of ops/s per engine, grouped by workload, on a log
//! scale (engines differ by orders of magnitude), with a tick where the raw baseline is.

use std::fmt::Write as _;

use crate::payload;
use crate::report::{Report, Row, format_rate};
use crate::workload::Workload;

const WIDTH: f64 = 960.0;
const LABEL_WIDTH: f64 = 190.0;
const RIGHT_MARGIN: f64 = 90.0;
const BAR: f64 = 14.0;
const GAP: f64 = 4.0;
const GROUP_GAP: f64 = 22.0;
const TOP: f64 = 58.0;
const PALETTE: [&str; 16] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d",
];

/// The payload and client count the chart shows: 2 KiB and 16 clients when the run has
/// them, else the first row's.
pub fn chosen_cell(report: &Report) -> Option<(usize, usize)> {
    let has = |p: usize, c: usize| report.rows.iter().any(|r| r.payload == p && r.clients == c);
    if has(2048, 16) {
        return Some((2048, 16));
    }
    report.rows.first().map(|r| (r.payload, r.clients))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as SVG text.
pub fn render(report: &Report) -> String {
    let mut svg = String::new();
    let Some((size, clients)) = chosen_cell(report) else {
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="60"><text x="10" y="30" font-family="sans-serif" font-size="14">session-bench: no results</text></svg>"#
        );
        svg.push('\n');
        return svg;
    };
    let rows: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.payload == size && r.clients == clients)
        .collect();
    let mut engines: Vec<&str> = Vec::new();
    for row in &rows {
        if !engines.contains(&row.engine.as_str()) {
            engines.push(&row.engine);
        }
    }
    let workloads: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| rows.iter().any(|r| r.workload == *w))
        .collect();

    // Log scale over whole decades covering every engine and raw value.
    let values = rows.iter().flat_map(|r| {
        std::iter::once(r.result.ops_per_sec)
            .chain(r.raw.as_ref().map(|raw| raw.result.ops_per_sec))
    });
    let (min, max) = values
        .filter(|v| *v > 0.0)
        .fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo_decade, hi_decade) = if max > 0.0 {
        let lo = min.log10().floor() as i32;
        let hi = (max.log10().ceil() as i32).max(lo + 1);
        (lo, hi)
    } else {
        (0, 1)
    };
    let plot = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
    let x_of = |v: f64| {
        if v <= 0.0 {
            return LABEL_WIDTH;
        }
        let t = (v.log10() - lo_decade as f64) / (hi_decade - lo_decade) as f64;
        LABEL_WIDTH + t.clamp(0.0, 1.0) * plot
    };

    let group_height =
        |w: &Workload| 18.0 + rows.iter().filter(|r| r.workload == *w).count() as f64 * (BAR + GAP);
    let plot_height: f64 = workloads.iter().map(|w| group_height(w) + GROUP_GAP).sum();
    let legend_height = 24.0;
    let height = TOP + plot_height + legend_height + 20.0;

    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{height:.0}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">session-bench: ops/s per engine and workload ({}, {clients} clients, log scale)</text>"#,
        escape(&payload::label(size))
    );
    let _ = writeln!(
        svg,
        r##"<text x="10" y="40" fill="#555">{} cores, {} {}; black tick: raw client on the same backend</text>"##,
        report.run.cores,
        escape(&report.run.os),
        escape(&report.run.arch)
    );
    // Decade grid lines.
    let bottom = TOP + plot_height;
    for decade in lo_decade..=hi_decade {
        let v = 10f64.powi(decade);
        let x = x_of(v);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#ddd"/>"##,
            TOP - 6.0
        );
        let _ = writeln!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">{}</text>"##,
            bottom + 12.0,
            format_rate(v)
        );
    }
    let mut y = TOP;
    for workload in &workloads {
        let _ = writeln!(
            svg,
            r#"<text x="10" y="{:.1}" font-weight="bold">{}</text>"#,
            y + 11.0,
            workload.name()
        );
        y += 18.0;
        for row in rows.iter().filter(|r| r.workload == *workload) {
            let colour =
                PALETTE[engines.iter().position(|e| *e == row.engine).unwrap_or(0) % PALETTE.len()];
            let end = x_of(row.result.ops_per_sec);
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LABEL_WIDTH - 6.0,
                y + BAR - 3.0,
                escape(&row.engine)
            );
            let _ = writeln!(
                svg,
                r#"<rect class="bar" x="{LABEL_WIDTH}" y="{y:.1}" width="{:.1}" height="{BAR}" fill="{colour}"><title>{} {}: {} ops/s</title></rect>"#,
                (end - LABEL_WIDTH).max(0.5),
                escape(&row.engine),
                workload.name(),
                format_rate(row.result.ops_per_sec)
            );
            let mut label_x = end;
            if let Some(raw) = &row.raw {
                let rx = x_of(raw.result.ops_per_sec);
                label_x = label_x.max(rx);
                let _ = writeln!(
                    svg,
                    r#"<line class="raw" x1="{rx:.1}" y1="{:.1}" x2="{rx:.1}" y2="{:.1}" stroke="black" stroke-width="2"><title>raw {}: {} ops/s</title></line>"#,
                    y - 2.0,
                    y + BAR + 2.0,
                    escape(&raw.client),
                    format_rate(raw.result.ops_per_sec)
                );
            }
            let ratio = row
                .ratio()
                .map_or(String::new(), |r| format!(" ({r:.2} of raw)"));
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}">{}{}</text>"#,
                label_x + 5.0,
                y + BAR - 3.0,
                format_rate(row.result.ops_per_sec),
                ratio
            );
            y += BAR + GAP;
        }
        y += GROUP_GAP;
    }
    // Legend.
    let mut x = 10.0;
    let legend_y = bottom + 28.0;
    for (i, engine) in engines.iter().enumerate() {
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            legend_y - 9.0,
            PALETTE[i % PALETTE.len()],
            x + 14.0,
            legend_y,
            escape(engine)
        );
        x += 24.0 + engine.chars().count() as f64 * 6.5;
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn the_svg_is_well_formed_with_one_bar_per_charted_row() {
        let report = sample::report();
        let text = render(&report);
        let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let bars: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("bar"))
            .collect();
        // The 2 KiB x 16 rows: two engines, two workloads.
        assert_eq!(bars.len(), 4);
        for bar in &bars {
            let width: f64 = bar.attribute("width").unwrap().parse().unwrap();
            assert!(width > 0.0 && width <= WIDTH, "{width}");
        }
        // The raw value (20,000) is drawn right of the engine's (18,000).
        let raw_x: f64 = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("raw"))
            .unwrap()
            .attribute("x1")
            .unwrap()
            .parse()
            .unwrap();
        let bar_end = LABEL_WIDTH + bars[0].attribute("width").unwrap().parse::<f64>().unwrap();
        assert!(raw_x > bar_end, "{raw_x} {bar_end}");
        let texts: String = doc.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.contains("load-hit") && texts.contains("sqlite-file"));
    }

    #[test]
    fn names_are_escaped_and_empty_reports_still_parse() {
        let mut report = sample::report();
        report.rows.retain(|r| r.engine == "a<b&c");
        let text = render(&report);
        let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
        let texts: String = doc.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.contains("a<b&c"));
        report.rows.clear();
        roxmltree::Document::parse(&render(&report)).expect("well-formed XML");
    }
}
