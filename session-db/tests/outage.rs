//! A database that goes away and comes back: calls fail fast while it is down and work
//! again once it is back, on the same store object. The shared servers are never stopped:
//! the store talks to them through a proxy the test switches off.

mod common;

use std::time::{Duration, Instant};

use session_core::{SessionManager, SessionSettings, SessionStore, StoreContext};
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

/// The deadline of the hung-server tests; the acquire timeout is far longer, so only the
/// deadline can end a call in time. Generous, for a loaded test machine: setup calls run
/// under it too.
const DEADLINE: Duration = Duration::from_secs(2);
const MARGIN: Duration = Duration::from_secs(2);

fn hung_config(url: &str, table: &str) -> DbConfig {
    DbConfig::new(url)
        .table(table)
        .unwrap()
        .acquire_timeout(Duration::from_secs(60))
        .deadline(DEADLINE)
}

/// `call` fails with a backend error within the deadline plus a margin; a hang fails the
/// test instead of hanging it.
async fn fails_in_time<T: std::fmt::Debug>(
    what: &str,
    call: impl std::future::Future<Output = session_core::Result<T>>,
) {
    let started = Instant::now();
    match tokio::time::timeout(DEADLINE + MARGIN, call).await {
        Err(_) => panic!("{what}: no answer after {:?}", started.elapsed()),
        Ok(Ok(value)) => panic!("{what}: succeeded with {value:?}"),
        Ok(Err(err)) => assert!(err.is_backend(), "{what}: {err:?}"),
    }
}

/// Sessions on `url`'s table with one saved session, and that session.
async fn with_a_session(
    config: DbConfig,
    migrate_on: &str,
) -> (
    SessionManager,
    session_core::Session,
    session_core::SessionKey,
) {
    let settings = SessionSettings::new("hung-secret").unwrap();
    let table = config.table_name().to_owned();
    let setup = DbStore::open(
        DbConfig::new(migrate_on).table(table).unwrap(),
        StoreContext::new(settings.clone()),
    )
    .await
    .unwrap();
    setup.migrate().await.unwrap();
    let sessions = SessionManager::connect(settings, async |ctx| DbStore::open(config, ctx).await)
        .await
        .unwrap();
    let session = sessions.session(None);
    session.insert("n", 1).await.unwrap();
    session.save().await.unwrap();
    let key = session.session_key().unwrap();
    (sessions, session, key)
}

async fn hung_server_fails_within_the_deadline(url: String, table: &str) {
    let mut proxy = Outage::start(server_addr(&url)).await.unwrap();
    let config = hung_config(&through(&url, proxy.addr()), table);
    let (sessions, session, key) = with_a_session(config.clone(), &url).await;
    let store = sessions.store().clone();
    let ctx = sessions.context().clone();

    // The pool connected while the server answered; now nothing comes back. The calls run
    // at once: the idle connection's check hangs, and the new connections they open hang.
    proxy.silence();
    session.insert("n", 2).await.unwrap();
    let fresh = DbStore::open(config, ctx).await.unwrap();
    let returning = sessions.session(Some(key.as_str()));
    tokio::join!(
        fails_in_time("load", returning.get::<i64>("n")),
        fails_in_time("save", session.save()),
        fails_in_time("clear_expired", store.clear_expired()),
        // A fresh pool: its connection is accepted and never answered.
        fails_in_time("exists on a fresh pool", fresh.exists(&key)),
        fails_in_time("migrate on a fresh pool", fresh.migrate()),
    );

    // The calls that gave up left no stuck connection behind once the server answers.
    proxy.up().await.unwrap();
    let started = Instant::now();
    let n = loop {
        match sessions.session(Some(key.as_str())).get::<i64>("n").await {
            Ok(n) => break n,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                assert!(e.is_backend(), "{e:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("still failing after the server answered again: {e}"),
        }
    };
    assert_eq!(n, Some(1));
    common::drop_table(&url, table).await;
}

/// Runs `while_locked` while another connection holds the row of `key` locked.
async fn with_row_locked<F: std::future::Future>(
    url: &str,
    table: &str,
    key: &str,
    while_locked: F,
) -> F::Output {
    use sqlx::AssertSqlSafe;
    let lock = format!("SELECT 1 FROM {table} WHERE session_key = '{key}' FOR UPDATE");
    macro_rules! locked {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await.unwrap();
            sqlx::query(AssertSqlSafe(lock))
                .execute(&mut *tx)
                .await
                .unwrap();
            let output = while_locked.await;
            tx.rollback().await.unwrap();
            output
        }};
    }
    match session_db::Pools::open(&DbConfig::new(url)).unwrap() {
        #[cfg(feature = "postgres")]
        session_db::Pools::Postgres { writer, .. } => locked!(writer),
        #[cfg(feature = "mysql")]
        session_db::Pools::MySql { writer, .. } => locked!(writer),
        #[allow(unreachable_patterns)]
        _ => unreachable!("a server URL"),
    }
}

async fn row_lock_fails_within_the_deadline(url: String, table: &str) {
    let (sessions, session, key) = with_a_session(hung_config(&url, table), &url).await;
    session.insert("n", 2).await.unwrap();
    with_row_locked(&url, table, key.as_str(), async {
        fails_in_time("save of a locked row", session.save()).await;
    })
    .await;
    assert!(sessions.store().exists(&key).await.unwrap());
    session.save().await.unwrap();
    common::drop_table(&url, table).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hung_server_fails_within_the_deadline() {
    if let Some(url) = common::required("PG_URL") {
        hung_server_fails_within_the_deadline(url, &format!("hung_pg_{}", std::process::id()))
            .await;
    }
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_hung_server_fails_within_the_deadline() {
    if let Some(url) = common::required("MYSQL_URL") {
        hung_server_fails_within_the_deadline(url, &format!("hung_my_{}", std::process::id()))
            .await;
    }
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_row_lock_fails_within_the_deadline() {
    if let Some(url) = common::required("PG_URL") {
        row_lock_fails_within_the_deadline(url, &format!("lock_pg_{}", std::process::id())).await;
    }
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_row_lock_fails_within_the_deadline() {
    if let Some(url) = common::required("MYSQL_URL") {
        row_lock_fails_within_the_deadline(url, &format!("lock_my_{}", std::process::id())).await;
    }
}

/// The deadline reaches the server as its own statement and lock timeouts.
async fn server_timeouts(config: DbConfig) -> Vec<String> {
    use sqlx::Row;
    match session_db::Pools::open(&config).unwrap() {
        #[cfg(feature = "postgres")]
        session_db::Pools::Postgres { reader, .. } => {
            let row = sqlx::query(
                "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')",
            )
            .fetch_one(&reader)
            .await
            .unwrap();
            vec![row.get(0), row.get(1)]
        }
        #[cfg(feature = "mysql")]
        session_db::Pools::MySql { reader, .. } => {
            let row = sqlx::query(
                "SELECT CAST(@@max_statement_time AS CHAR), CAST(@@innodb_lock_wait_timeout AS CHAR)",
            )
            .fetch_one(&reader)
            .await
            .unwrap();
            vec![row.get(0), row.get(1)]
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("a server URL"),
    }
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_connections_carry_the_deadline() {
    if let Some(url) = common::required("PG_URL") {
        let config = DbConfig::new(&url).deadline(Duration::from_millis(2500));
        assert_eq!(server_timeouts(config.clone()).await, ["2500ms", "2500ms"]);
        // Behind a pooler that refuses the startup parameter: the server's defaults.
        let untold = server_timeouts(config.server_timeouts(false)).await;
        assert_eq!(untold, ["0", "0"]);
    }
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn mariadb_connections_carry_the_deadline() {
    if let Some(url) = common::required("MYSQL_URL") {
        assert_eq!(
            server_timeouts(DbConfig::new(&url).deadline(Duration::from_millis(2500))).await,
            ["2.500000", "3"]
        );
    }
}

#[tokio::test]
async fn sqlite_locked_database_fails_within_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let (_store, session, _key) = with_a_session(hung_config(&url, "django_session"), &url).await;

    // Another process holds the write lock.
    let other = sqlx::SqlitePool::connect(&url).await.unwrap();
    let tx = other.begin_with("BEGIN IMMEDIATE").await.unwrap();
    session.insert("n", 2).await.unwrap();
    fails_in_time("save while another writer holds the lock", session.save()).await;
    tx.rollback().await.unwrap();
    session.save().await.unwrap();
}
