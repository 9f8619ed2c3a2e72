//! Issue 14's acceptance test: with `SESSION_CONFLICTS=detect`, 16 connections hammering
//! `/visit` on one cookie for a while lose no increment on any server-side engine: the
//! final count equals the number of visits answered 200, and every 200 showed its own
//! count. Anything else answered is a 409 (a visit that gave up after its retries).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use session_config::{Config, engine};
use session_core::SessionManager;
use session_test_support::services::configured as service_url;

const SECRET: &str = "demo-e2e-conflicts-secret-key";
const CLIENTS: usize = 16;
const DURATION: Duration = Duration::from_millis(1500);

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    config: Config,
}

async fn manager(flags: &[&str]) -> SessionManager {
    let args = ["session-demo", "--secret-key", SECRET]
        .into_iter()
        .chain(flags.iter().copied());
    let config = Args::try_parse_from(args).expect("valid flags").config;
    engine::manager(&config)
        .await
        .expect("the configured engine starts")
}

/// Serves the demo over `sessions` on a free loopback port.
async fn serve(sessions: SessionManager) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = session_demo::app(sessions).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// What the hammering saw.
struct Outcome {
    ok: usize,
    conflicts: usize,
    counts: Vec<i64>,
    stored: i64,
}

fn count_in(body: &str) -> i64 {
    let start = body.find("Visit count:").expect("a visit page") + "Visit count:".len();
    let digits: String = body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

/// One cookie, `CLIENTS` connections on `/visit` for `DURATION`.
async fn hammer(flags: &[&str]) -> Outcome {
    let sessions = manager(flags).await;
    let addr = serve(sessions.clone()).await;
    let url = format!("http://{addr}/visit");
    let first = reqwest::get(&url).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let cookie = first.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let key = cookie["sessionid=".len()..].to_owned();
    let mut counts = vec![count_in(&first.text().await.unwrap())];
    let mut conflicts = 0;
    let until = Instant::now() + DURATION;
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (url, cookie) = (url.clone(), cookie.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut counts, mut conflicts) = (Vec::new(), 0);
            while Instant::now() < until {
                let response = client
                    .get(&url)
                    .header(COOKIE, &cookie)
                    .send()
                    .await
                    .unwrap();
                match response.status() {
                    StatusCode::OK => counts.push(count_in(&response.text().await.unwrap())),
                    StatusCode::CONFLICT => conflicts += 1,
                    other => panic!("/visit answered {other}"),
                }
            }
            (counts, conflicts)
        }));
    }
    for task in tasks {
        let (more, refused) = task.await.unwrap();
        counts.extend(more);
        conflicts += refused;
    }
    let stored = sessions
        .session(Some(&key))
        .get::<i64>("visit")
        .await
        .unwrap()
        .expect("the session is stored");
    Outcome {
        ok: counts.len(),
        conflicts,
        counts,
        stored,
    }
}

/// Hammers with detection on and checks that nothing was lost.
async fn loses_nothing(engine: &str, flags: &[&str]) {
    let flags: Vec<&str> = flags
        .iter()
        .copied()
        .chain(["--conflicts", "detect"])
        .collect();
    let outcome = hammer(&flags).await;
    eprintln!(
        "{engine}: {} visits answered 200, {} answered 409, counter at {}",
        outcome.ok, outcome.conflicts, outcome.stored
    );
    assert!(outcome.ok > CLIENTS, "{engine}: only {} visits", outcome.ok);
    assert_eq!(
        outcome.stored, outcome.ok as i64,
        "{engine}: increments were lost"
    );
    let distinct: BTreeSet<_> = outcome.counts.iter().collect();
    assert_eq!(
        distinct.len(),
        outcome.ok,
        "{engine}: two visits saw one count"
    );
}

/// A SQLite database file in a fresh directory (kept while the guard lives).
fn sqlite_url() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    (dir, url)
}

/// A table name of our own on a shared server, dropped by nobody else.
fn own_table(engine: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("demo_cas_{engine}_{}_{nanos}", std::process::id())
}

/// `scheme://a,scheme://b` as `new_scheme://a,b`.
fn joined(urls: &str, new_scheme: &str) -> String {
    let hosts: Vec<&str> = urls
        .split(',')
        .map(|u| u.split_once("://").map_or(u, |(_, host)| host))
        .collect();
    format!("{new_scheme}://{}", hosts.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_process_loses_nothing() {
    loses_nothing(
        "in-process",
        &["--engine", "cache", "--cache-url", "memory"],
    )
    .await;
}

/// The control: the same hammering without detection loses increments (the issue's
/// measurement), so the test above can fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_process_without_detection_loses_increments() {
    let outcome = hammer(&["--engine", "cache", "--cache-url", "memory"]).await;
    eprintln!(
        "in-process, overwrite: {} visits answered 200, counter at {}",
        outcome.ok, outcome.stored
    );
    assert_eq!(outcome.conflicts, 0);
    assert!(
        outcome.stored < outcome.ok as i64,
        "no increment lost in {} visits",
        outcome.ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_loses_nothing() {
    let (_dir, url) = sqlite_url();
    loses_nothing("sqlite", &["--engine", "db", "--database-url", &url]).await;
}

async fn on_db_server(url_var: &str, engine: &str) {
    let Some(url) = service_url(url_var) else {
        return;
    };
    let table = own_table(engine);
    let flags = [
        "--engine",
        "db",
        "--database-url",
        &url,
        "--db-table",
        &table,
    ];
    loses_nothing(engine, &flags).await;
    drop_table(&url, &table).await;
}

async fn drop_table(url: &str, table: &str) {
    let config = session_db::DbConfig::new(url).table(table).unwrap();
    let ctx = session_core::StoreContext::new(session_core::SessionSettings::new(SECRET).unwrap());
    let store = session_db::DbStore::open(config, ctx).await.unwrap();
    store.drop_table().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_loses_nothing() {
    on_db_server("PG_URL", "pg").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mariadb_loses_nothing() {
    on_db_server("MYSQL_URL", "my").await;
}

async fn on_cache_server(url_var: &str, engine: &str, to_cache_url: fn(&str) -> String) {
    let Some(urls) = service_url(url_var) else {
        return;
    };
    let cache_url = to_cache_url(&urls);
    loses_nothing(engine, &["--engine", "cache", "--cache-url", &cache_url]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_loses_nothing() {
    on_cache_server("REDIS_URL", "redis", str::to_owned).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_cluster_loses_nothing() {
    on_cache_server("REDIS_CLUSTER_URLS", "redis-cluster", |urls| {
        joined(urls, "redis+cluster")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memcached_loses_nothing() {
    on_cache_server("MEMCACHED_URLS", "memcached", |urls| {
        joined(urls, "memcache")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_lose_nothing() {
    let dir = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .unwrap();
    let path = dir.path().to_str().unwrap();
    loses_nothing("file", &["--engine", "file", "--file-path", path]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cached_db_loses_nothing() {
    let (_dir, url) = sqlite_url();
    loses_nothing(
        "cached_db",
        &[
            "--engine",
            "cached_db",
            "--database-url",
            &url,
            "--cache-url",
            "memory",
        ],
    )
    .await;
}
