//! `GET /metrics` after a few visits: the counters are there, and no session key.

use clap::Parser;
use session_config::{Config, engine};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    config: Config,
}

fn value(rendered: &str, series: &str) -> f64 {
    rendered
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{rendered}"))
}

#[tokio::test]
async fn metrics_count_visits_and_show_no_key() {
    session_demo::metrics::install();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let args = [
        "demo",
        "--secret-key",
        "metrics-test-secret",
        "--engine",
        "db",
        "--database-url",
        &url,
    ];
    let sessions = engine::manager(&Args::try_parse_from(args).unwrap().config)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = session_demo::app(sessions).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut cookies = Vec::new();
    for _ in 0..2 {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        for _ in 0..3 {
            let page = browser
                .get(format!("http://{addr}/visit"))
                .send()
                .await
                .unwrap();
            for cookie in page.headers().get_all("set-cookie") {
                let value = cookie.to_str().unwrap();
                let key = value
                    .split(';')
                    .next()
                    .unwrap()
                    .trim_start_matches("sessionid=");
                cookies.push(key.to_owned());
            }
        }
    }
    assert!(!cookies.is_empty());

    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert!(response.headers().get("set-cookie").is_none());
    let rendered = response.text().await.unwrap();
    let series = |s: &str| value(&rendered, s);
    assert_eq!(series("sessions_created_total{engine=\"db\"}"), 2.0);
    assert_eq!(
        series("sessions_loaded_total{engine=\"db\",result=\"hit\"}"),
        4.0
    );
    assert_eq!(series("sessions_saved_total{engine=\"db\"}"), 4.0);
    assert!(
        series("sessions_operation_duration_seconds_count{engine=\"db\",operation=\"load\"}")
            >= 4.0
    );
    assert!(
        rendered.contains("# HELP sessions_created_total"),
        "{rendered}"
    );
    for key in &cookies {
        assert!(key.len() >= 32 && !rendered.contains(key.as_str()), "{key}");
    }
}
