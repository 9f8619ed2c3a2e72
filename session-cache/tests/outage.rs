//! Outages on private servers (never the shared ones): a call while the server is down
//! or hung fails within the operation timeout, and the same store works again within a
//! second of the server's return.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{PrivateServer, context, plain_record, silent_server};
use session_cache::{Cache, CacheStore, MemcachedCache, RedisCache, Timeouts};
use session_core::{SessionKey, SessionStore};

/// Slack for scheduling on a busy 2-core machine.
const SLACK: Duration = Duration::from_millis(300);

/// `call` on `key` fails with a backend error within `limit`, and the error does not
/// show the key (memcached's timeout quotes the cache key).
async fn fails_in_time<T: std::fmt::Debug>(
    what: &str,
    limit: Duration,
    key: &SessionKey,
    call: impl Future<Output = session_core::Result<T>>,
) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit * 5, call)
        .await
        .unwrap_or_else(|_| panic!("{what} hung during the outage"));
    let took = started.elapsed();
    let err = outcome.expect_err(&format!("{what} succeeded with the server down"));
    assert!(err.is_backend(), "{what}: {err:?}");
    assert!(took <= limit + SLACK, "{what} took {took:?} to fail");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(key.as_str()),
        "{what}: the key shows: {text}"
    );
}

/// Every primitive fails in time, three rounds in a row (the reconnect back-off must not
/// pile up).
async fn all_fail_in_time<C: Cache>(store: &CacheStore<C>, limit: Duration) {
    let ctx = context();
    let key = SessionKey::generate();
    for _ in 0..3 {
        fails_in_time("load", limit, &key, store.load(&key)).await;
        fails_in_time("exists", limit, &key, store.exists(&key)).await;
        fails_in_time(
            "create",
            limit,
            &key,
            store.create(&key, &plain_record(&ctx)),
        )
        .await;
        fails_in_time("save", limit, &key, store.save(&key, &plain_record(&ctx))).await;
        fails_in_time("delete", limit, &key, store.delete(&key)).await;
    }
}

/// After the restart, a create succeeds within a second, then everything works.
async fn recovers<C: Cache>(store: &CacheStore<C>, back_since: Instant) {
    let ctx = context();
    loop {
        let key = SessionKey::generate();
        if store.create(&key, &plain_record(&ctx)).await.is_ok() {
            assert_eq!(
                store.load(&key).await.unwrap().unwrap().data(),
                plain_record(&ctx).data()
            );
            break;
        }
        assert!(
            back_since.elapsed() < Duration::from_secs(1),
            "no call succeeded within 1 s of the server's return"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let key = SessionKey::generate();
    store.create(&key, &plain_record(&ctx)).await.unwrap();
    store.save(&key, &plain_record(&ctx)).await.unwrap();
    store.delete(&key).await.unwrap();
    assert!(store.load(&key).await.unwrap().is_none());
}

async fn kill_and_restart<C: Cache>(
    mut server: PrivateServer,
    store: CacheStore<C>,
    limit: Duration,
) {
    let ctx = context();
    let key = SessionKey::generate();
    store.create(&key, &plain_record(&ctx)).await.unwrap();
    assert!(store.load(&key).await.unwrap().is_some());

    server.kill9();
    all_fail_in_time(&store, limit).await;

    server.start();
    recovers(&store, Instant::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_fast_and_recovers() {
    let Some(mut server) = PrivateServer::redis() else {
        return;
    };
    server.start();
    let timeouts = Timeouts::default();
    assert!(timeouts.operation() <= Duration::from_secs(1));
    let cache = RedisCache::connect(&server.url(), timeouts).unwrap();
    let store = CacheStore::new(cache, context());
    kill_and_restart(server, store, timeouts.operation()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memcached_outage_fails_fast_and_recovers() {
    let Some(mut server) = PrivateServer::memcached() else {
        return;
    };
    server.start();
    let timeouts = Timeouts::default();
    let cache = MemcachedCache::connect([server.url()], timeouts)
        .await
        .unwrap();
    let store = CacheStore::new(cache, context());
    kill_and_restart(server, store, timeouts.operation()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_built_while_down_works_once_up() {
    let Some(mut server) = PrivateServer::redis() else {
        return;
    };
    let timeouts = Timeouts::default();
    let cache = RedisCache::connect(&server.url(), timeouts).unwrap();
    let store = CacheStore::new(cache, context());
    all_fail_in_time(&store, timeouts.operation()).await;
    server.start();
    recovers(&store, Instant::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memcached_store_built_while_down_works_once_up() {
    let Some(mut server) = PrivateServer::memcached() else {
        return;
    };
    let timeouts = Timeouts::default();
    let cache = MemcachedCache::connect([server.url()], timeouts)
        .await
        .unwrap();
    let store = CacheStore::new(cache, context());
    all_fail_in_time(&store, timeouts.operation()).await;
    server.start();
    recovers(&store, Instant::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_redis_fails_within_the_timeout() {
    let (address, _server) = silent_server();
    let timeouts = Timeouts::default()
        .connect(Duration::from_millis(200))
        .response(Duration::from_millis(300));
    let cache = RedisCache::connect(&format!("redis://{address}"), timeouts).unwrap();
    all_fail_in_time(&CacheStore::new(cache, context()), timeouts.operation()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_memcached_fails_within_the_timeout() {
    let (address, _server) = silent_server();
    let timeouts = Timeouts::default()
        .connect(Duration::from_millis(200))
        .response(Duration::from_millis(300));
    let cache = MemcachedCache::connect([address], timeouts).await.unwrap();
    all_fail_in_time(&CacheStore::new(cache, context()), timeouts.operation()).await;
}
