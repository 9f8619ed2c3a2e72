//! Where the shared test servers are: the variables `scripts/services` exports, with the
//! defaults it starts servers on. Engine tests ask here instead of reading the environment
//! themselves, so the "missing server" rule is the same everywhere.

/// True under `SESSIONS_TEST_REQUIRE_SERVICES=1` (set by `scripts/test`): a server a test
/// needs must be there, and a missing one fails the test instead of skipping it.
pub fn required() -> bool {
    std::env::var("SESSIONS_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The value of `var` if set (or, with the feature `testcontainers`, a container's URL).
/// Otherwise `None` after printing "skipped", or a panic when [`required`].
///
/// ```no_run
/// if let Some(url) = session_test_support::services::configured("MY_ENGINE_URL") {
///     // ... test against `url` ...
/// }
/// ```
pub fn configured(var: &str) -> Option<String> {
    match set(var) {
        Some(value) => Some(value),
        None if required() => panic!("{var} is not set: run scripts/services (scripts/test does)"),
        None => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// The value of `var` if set; otherwise, with the feature `testcontainers`, the URL of a
/// container serving it, if one starts.
fn set(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| container(var))
}

#[cfg(feature = "testcontainers")]
use crate::containers::url as container;

#[cfg(not(feature = "testcontainers"))]
fn container(_var: &str) -> Option<String> {
    None
}

fn var_or(var: &str, default: &str) -> String {
    set(var).unwrap_or_else(|| default.to_owned())
}

fn list(urls: String) -> Vec<String> {
    urls.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `PG_URL`, by default `postgres://postgres@127.0.0.1:5432/test`.
pub fn pg_url() -> String {
    var_or("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
}

/// `MYSQL_URL`, by default `mysql://root@127.0.0.1:3306/test`.
pub fn mysql_url() -> String {
    var_or("MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
}

/// `REDIS_URL`, by default `redis://127.0.0.1:6379`.
pub fn redis_url() -> String {
    var_or("REDIS_URL", "redis://127.0.0.1:6379")
}

/// `REDIS_CLUSTER_URLS` (comma-separated), by default the nodes on 7001-7003.
pub fn redis_cluster_urls() -> Vec<String> {
    list(var_or(
        "REDIS_CLUSTER_URLS",
        "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003",
    ))
}

/// `MEMCACHED_URLS` (comma-separated), by default the servers on 11211 and 11212.
pub fn memcached_urls() -> Vec<String> {
    list(var_or(
        "MEMCACHED_URLS",
        "memcache://127.0.0.1:11211,memcache://127.0.0.1:11212",
    ))
}
