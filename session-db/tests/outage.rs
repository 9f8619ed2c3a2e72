//! A database that goes away and comes back: calls fail fast while it is down and work
//! again once it is back, on the same store object. The shared servers are never stopped:
//! the store talks to them through a proxy the test switches off.

mod common;

use std::time::{Duration, Instant};

use session_core::{SessionManager, SessionSettings};
use session_db::{DbConfig, DbStore};
use session_test_support::Outage;

const TIMEOUT: Duration = Duration::from_millis(500);

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: std::net::SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"));
    format!("{scheme}://{}{addr}/{path}", user.unwrap_or_default())
}

fn server_addr(url: &str) -> std::net::SocketAddr {
    let authority = url.split_once("://").unwrap().1.split('/').next().unwrap();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    std::net::ToSocketAddrs::to_socket_addrs(host_port)
        .unwrap()
        .next()
        .unwrap()
}

async fn survives_an_outage(url: String, table: &str) {
    let mut proxy = Outage::start(server_addr(&url)).await.unwrap();
    let config = DbConfig::new(through(&url, proxy.addr()))
        .table(table)
        .unwrap()
        .acquire_timeout(TIMEOUT);
    let settings = SessionSettings::new("outage-secret").unwrap();
    let sessions = SessionManager::connect(settings, async |ctx| {
        let store = DbStore::open(config, ctx).await?;
        store.migrate().await?;
        Ok(store)
    })
    .await
    .unwrap();
    let session = sessions.session(None);
    session.insert("n", 1).await.unwrap();
    session.save().await.unwrap();
    let key = session.session_key().unwrap();

    proxy.down();
    for _ in 0..3 {
        let started = Instant::now();
        let err = sessions
            .session(Some(key.as_str()))
            .get::<i64>("n")
            .await
            .expect_err("the database is down");
        assert!(err.is_backend(), "{err:?}");
        assert!(
            started.elapsed() < TIMEOUT * 4,
            "took {:?}",
            started.elapsed()
        );
    }

    proxy.up().await.unwrap();
    let started = Instant::now();
    let n = loop {
        match sessions.session(Some(key.as_str())).get::<i64>("n").await {
            Ok(n) => break n,
            Err(e) if started.elapsed() < Duration::from_secs(2) => {
                assert!(e.is_backend(), "{e:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!(
                "still failing {:?} after the database came back: {e}",
                started.elapsed()
            ),
        }
    };
    assert_eq!(n, Some(1));
    common::drop_table(&url, table).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_and_recovery() {
    if let Some(url) = common::required("PG_URL") {
        survives_an_outage(url, &format!("outage_pg_{}", std::process::id())).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_outage_and_recovery() {
    if let Some(url) = common::required("MYSQL_URL") {
        survives_an_outage(url, &format!("outage_my_{}", std::process::id())).await;
    }
}
