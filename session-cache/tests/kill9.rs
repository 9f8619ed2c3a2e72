//! kill -9 under load, on private servers (never the shared ones): while four tasks save and
//! load, the server is SIGKILLed and started again on the same port and data. Calls fail
//! with a backend error within the timeouts while it is down, the store works again within
//! a second of its return, and Redis with an fsynced append-only file loses no acknowledged
//! session. Memcached keeps nothing: only the errors and the recovery are checked for it.
//! The rules are `session_test_support::kill9::crash_under_load`'s.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{PrivateServer, context};
use session_cache::{CacheStore, MemcachedCache, RedisCache, Timeouts};
use session_test_support::kill9::{Crash, crash_under_load};

/// Short timeouts, so the suite stays fast: 500 ms per call at most.
fn timeouts() -> Timeouts {
    Timeouts::default()
        .connect(Duration::from_millis(200))
        .response(Duration::from_millis(300))
        .reconnect_delay(Duration::from_millis(50))
}

async fn redis_crash(
    mut server: PrivateServer,
    durable: bool,
) -> session_test_support::kill9::Report {
    server.start();
    let ctx = context();
    let store = CacheStore::new(
        RedisCache::connect(&server.url(), timeouts()).unwrap(),
        ctx.clone(),
    );
    let crash = Crash::new(timeouts().operation(), durable);
    crash_under_load(Arc::new(store), &ctx, &mut [&mut server], crash).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_aof_survives_kill9_under_load() {
    let Some(server) = PrivateServer::redis_aof() else {
        return;
    };
    redis_crash(server, true)
        .await
        .assert_clean("redis (appendfsync always)");
}

/// The durability check has teeth: a Redis that keeps nothing on disk loses the sessions
/// it acknowledged, and the check says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_without_persistence_is_caught_losing_sessions() {
    let Some(server) = PrivateServer::redis() else {
        return;
    };
    let report = redis_crash(server, true).await;
    eprintln!("redis (no persistence): {report}");
    assert!(
        report.has_violation("after the restart, session"),
        "no loss reported: {:?}",
        report.violations
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memcached_survives_kill9_under_load() {
    let Some(mut server) = PrivateServer::memcached() else {
        return;
    };
    server.start();
    let ctx = context();
    let cache = MemcachedCache::connect([server.url()], timeouts())
        .await
        .unwrap();
    let store = CacheStore::new(cache, ctx.clone());
    let crash = Crash::new(timeouts().operation(), false);
    crash_under_load(Arc::new(store), &ctx, &mut [&mut server], crash)
        .await
        .assert_clean("memcached");
}
