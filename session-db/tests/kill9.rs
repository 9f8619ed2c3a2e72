//! kill -9 under load, on a private PostgreSQL (never the shared one): while four tasks save
//! and load, the postmaster and every backend are SIGKILLed, and the server is started
//! again on the same port and data directory (crash recovery replays its WAL). Calls fail
//! with a backend error within the deadline while it is down, the store works again within
//! a second of its return, and no acknowledged session is lost or changed (`fsync` and
//! `synchronous_commit` on). The rules are
//! `session_test_support::kill9::crash_under_load`'s.

#![cfg(feature = "postgres")]

use std::sync::Arc;
use std::time::Duration;

use session_core::{SessionSettings, StoreContext};
use session_db::{DbConfig, DbStore};
use session_test_support::PrivateServer;
use session_test_support::kill9::{Crash, crash_under_load};

/// Short, so the suite stays fast: the most one call may take, waiting for a connection
/// included.
const DEADLINE: Duration = Duration::from_millis(500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_kill9_under_load() {
    let Some(mut server) = tokio::task::block_in_place(|| {
        let mut server = PrivateServer::postgres()?;
        server.start();
        Some(server)
    }) else {
        return;
    };
    let ctx = StoreContext::new(SessionSettings::new("kill9-secret").unwrap());
    let config = DbConfig::new(server.url())
        .acquire_timeout(DEADLINE)
        .deadline(DEADLINE)
        .max_connections(8);
    let store = DbStore::open(config, ctx.clone()).await.unwrap();
    store.migrate().await.unwrap();
    let report = crash_under_load(
        Arc::new(store),
        &ctx,
        &mut [&mut server],
        Crash::new(DEADLINE, true),
    )
    .await;
    if !report.violations.is_empty() {
        eprintln!("{}", server.log());
    }
    report.assert_clean("postgres (WAL, synchronous_commit on)");
}
