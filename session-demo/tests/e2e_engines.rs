//! The scenario against the demo on every engine, each built the way the demo builds it:
//! from Django-style configuration (`SESSION_ENGINE`, `DATABASE_URL`, ...).

mod scenario;

use clap::Parser;
use session_config::{Config, engine};

const SECRET: &str = "demo-e2e-secret-key";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    config: Config,
}

/// The demo's configuration from these flags (and the secret).
fn config(flags: &[&str]) -> Config {
    let args = ["session-demo", "--secret-key", SECRET]
        .into_iter()
        .chain(flags.iter().copied());
    Args::try_parse_from(args).expect("valid flags").config
}

use session_test_support::services::configured as service_url;

/// A SQLite database file in a fresh directory (kept while the guard lives).
fn sqlite_url() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    (dir, url)
}

async fn run(flags: &[&str], kind: scenario::Kind) {
    let sessions = engine::manager(&config(flags))
        .await
        .expect("the configured engine starts");
    scenario::run(sessions, kind).await;
}

const SERVER_SIDE: scenario::Kind = scenario::Kind { server_side: true };

#[tokio::test]
async fn demo_on_sqlite_file() {
    let (_dir, url) = sqlite_url();
    run(&["--engine", "db", "--database-url", &url], SERVER_SIDE).await;
}

#[tokio::test]
async fn demo_on_sqlite_file_browser_close_secure() {
    let (_dir, url) = sqlite_url();
    run(
        &[
            "--engine",
            "db",
            "--database-url",
            &url,
            "--expire-at-browser-close",
            "true",
            "--cookie-secure",
            "true",
        ],
        SERVER_SIDE,
    )
    .await;
}

#[tokio::test]
async fn demo_on_files() {
    let dir = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .unwrap();
    let path = dir.path().to_str().unwrap();
    run(&["--engine", "file", "--file-path", path], SERVER_SIDE).await;
}

/// A table name of our own on a shared server, dropped by nobody else.
fn own_table(engine: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("demo_e2e_{engine}_{}_{nanos}", std::process::id())
}

/// The db engine on the shared server named by `url_var`, in a table of its own.
async fn demo_on_server(url_var: &str, engine: &str) {
    let Some(url) = service_url(url_var) else {
        return;
    };
    let table = own_table(engine);
    run(
        &[
            "--engine",
            "db",
            "--database-url",
            &url,
            "--db-table",
            &table,
        ],
        SERVER_SIDE,
    )
    .await;
}

#[tokio::test]
async fn demo_on_postgres() {
    demo_on_server("PG_URL", "pg").await;
}

#[tokio::test]
async fn demo_on_mariadb() {
    demo_on_server("MYSQL_URL", "my").await;
}

#[tokio::test]
async fn demo_on_memory_cache() {
    run(&["--engine", "cache", "--cache-url", "memory"], SERVER_SIDE).await;
}

/// The cache engine on the shared cache server(s) named by `url_var`, turned into a
/// `CACHE_URL` by `to_cache_url`.
async fn demo_on_cache_server(url_var: &str, to_cache_url: fn(&str) -> String) {
    let Some(urls) = service_url(url_var) else {
        return;
    };
    let cache_url = to_cache_url(&urls);
    run(
        &["--engine", "cache", "--cache-url", &cache_url],
        SERVER_SIDE,
    )
    .await;
}

/// `scheme://a,scheme://b` as `new_scheme://a,b`.
fn joined(urls: &str, new_scheme: &str) -> String {
    let hosts: Vec<&str> = urls
        .split(',')
        .map(|u| u.split_once("://").map_or(u, |(_, host)| host))
        .collect();
    format!("{new_scheme}://{}", hosts.join(","))
}

#[tokio::test]
async fn demo_on_redis() {
    demo_on_cache_server("REDIS_URL", str::to_owned).await;
}

#[tokio::test]
async fn demo_on_redis_cluster() {
    demo_on_cache_server("REDIS_CLUSTER_URLS", |urls| joined(urls, "redis+cluster")).await;
}

#[tokio::test]
async fn demo_on_memcached() {
    demo_on_cache_server("MEMCACHED_URLS", |urls| joined(urls, "memcache")).await;
}

#[tokio::test]
async fn demo_on_cached_db() {
    let (_dir, url) = sqlite_url();
    run(
        &[
            "--engine",
            "cached_db",
            "--database-url",
            &url,
            "--cache-url",
            "memory",
        ],
        SERVER_SIDE,
    )
    .await;
}

const CLIENT_SIDE: scenario::Kind = scenario::Kind { server_side: false };

#[tokio::test]
async fn demo_on_signed_cookies() {
    run(&["--engine", "signed_cookies"], CLIENT_SIDE).await;
}

#[tokio::test]
async fn demo_on_encrypted_cookies() {
    run(
        &["--engine", "signed_cookies", "--cookie-encrypted", "true"],
        CLIENT_SIDE,
    )
    .await;
}
