//! What the conformance suite cannot see from outside: the key layout, the TTL each
//! backend is given, and values planted in the cache without the secret.

mod common;

use std::time::Duration;

use common::{context, record};
use serde_json::json;
use session_cache::{
    Cache, CacheStore, DEFAULT_PREFIX, MemcachedCache, MemoryCache, RedisCache, Timeouts,
};
use session_core::{SessionKey, SessionSettings, SessionStore, StoreContext};

fn unique_prefix(tag: &str) -> String {
    format!(
        "session-cache-test:{tag}:{}:",
        SessionKey::generate().as_str()
    )
}

async fn redis_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(common::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .expect("the shared Redis (REDIS_URL)")
}

/// Values not signed with the store's secret are no session, in every backend.
async fn planted_values_are_no_session<C: Cache + Clone>(cache: C) {
    let ctx = context();
    let store = CacheStore::new(cache.clone(), ctx.clone())
        .with_prefix(unique_prefix("plant"))
        .unwrap();
    let foreign = StoreContext::new(SessionSettings::new("another secret").unwrap());
    let forged = foreign
        .encode(&json!({"user": 1}).as_object().unwrap().clone())
        .unwrap();
    for value in [forged.as_str(), "not a session", "e30:1r31eq:AAAA"] {
        let key = SessionKey::generate();
        cache
            .set(&store.cache_key(&key), value, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            store.load(&key).await.unwrap().is_none(),
            "{value:?} loaded"
        );
        store.delete(&key).await.unwrap();
    }
    // A genuine value under the same layout does load: the check above can fail.
    let key = SessionKey::generate();
    store
        .create(&key, &record(&ctx, json!({"user": 1})))
        .await
        .unwrap();
    assert!(store.load(&key).await.unwrap().is_some());
    store.delete(&key).await.unwrap();
}

#[tokio::test]
async fn memory_rejects_planted_values() {
    planted_values_are_no_session(MemoryCache::default()).await;
}

#[tokio::test]
async fn redis_rejects_planted_values() {
    planted_values_are_no_session(
        RedisCache::connect(&common::redis_url(), Timeouts::default()).unwrap(),
    )
    .await;
}

#[tokio::test]
async fn memcached_rejects_planted_values() {
    let cache = MemcachedCache::connect(common::memcached_urls(), Timeouts::default())
        .await
        .unwrap();
    planted_values_are_no_session(cache).await;
}

#[tokio::test]
async fn redis_key_layout_and_ttl_are_djangos() {
    let ctx = context();
    let cache = RedisCache::connect(&common::redis_url(), Timeouts::default()).unwrap();
    let store = CacheStore::new(cache, ctx.clone());
    assert_eq!(store.prefix(), DEFAULT_PREFIX);
    let mut raw = redis_connection().await;

    // A browser-close session is kept for the cookie age.
    let key = SessionKey::generate();
    store
        .create(&key, &record(&ctx, json!({"_session_expiry": 0})))
        .await
        .unwrap();
    let name = format!("django.contrib.sessions.cache{}", key.as_str());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&name)
        .query_async(&mut raw)
        .await
        .unwrap();
    let age_ms = ctx.settings().cookie_age * 1000;
    assert!(
        ttl > age_ms - 5_000 && ttl <= age_ms,
        "PTTL {ttl}, cookie age {age_ms} ms"
    );
    let value: String = redis::cmd("GET")
        .arg(&name)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(ctx.decode(&value).is_some());

    // An integer expiry is the TTL, and each save restarts it.
    store
        .save(&key, &record(&ctx, json!({"_session_expiry": 300})))
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&name)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(ttl > 295_000 && ttl <= 300_000, "PTTL {ttl}");

    store.delete(&key).await.unwrap();
    let gone: Option<String> = redis::cmd("GET")
        .arg(&name)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(gone, None);
}

/// Memcached reads a relative TTL over 30 days as a unix time in 1970 (expired at once):
/// a 40-day session must still be there.
#[tokio::test]
async fn memcached_keeps_sessions_longer_than_30_days() {
    let ctx = context();
    let cache = MemcachedCache::connect(common::memcached_urls(), Timeouts::default())
        .await
        .unwrap();
    let store = CacheStore::new(cache, ctx.clone())
        .with_prefix(unique_prefix("long"))
        .unwrap();
    let forty_days = 40 * 86_400;
    let mut keys = Vec::new();
    // Several keys, so both servers get some.
    for _ in 0..8 {
        let key = SessionKey::generate();
        store
            .create(&key, &record(&ctx, json!({"_session_expiry": forty_days})))
            .await
            .unwrap();
        keys.push(key);
    }
    for key in &keys {
        let loaded = store
            .load(key)
            .await
            .unwrap()
            .expect("a 40-day session vanished");
        assert!(loaded.expires_at() > ctx.now() + chrono::TimeDelta::days(39));
        store.delete(key).await.unwrap();
    }
}

/// Memcached reads an absolute expiry as a signed 32-bit time: a session expiring after
/// January 2038 (or after 2106, past the client's 32 bits) must still be kept, until 2038.
#[tokio::test]
async fn memcached_keeps_sessions_expiring_after_2038() {
    let ctx = context();
    let cache = MemcachedCache::connect(common::memcached_urls(), Timeouts::default())
        .await
        .unwrap();
    let store = CacheStore::new(cache, ctx.clone())
        .with_prefix(unique_prefix("far"))
        .unwrap();
    for expiry in ["2050-01-01T00:00:00+00:00", "2200-01-01T00:00:00+00:00"] {
        // Several keys, so both servers get some.
        for _ in 0..4 {
            let key = SessionKey::generate();
            store
                .create(&key, &record(&ctx, json!({"_session_expiry": expiry})))
                .await
                .unwrap_or_else(|e| panic!("expiring {expiry}: {e}"));
            let loaded = store.load(&key).await.unwrap();
            assert!(loaded.is_some(), "a session expiring {expiry} vanished");
            store.delete(&key).await.unwrap();
        }
    }
}

/// Sessions are spread over both memcached servers.
#[tokio::test]
async fn memcached_uses_every_server() {
    let urls = common::memcached_urls();
    assert!(urls.len() >= 2, "MEMCACHED_URLS should name two servers");
    let ctx = context();
    let both = MemcachedCache::connect(&urls, Timeouts::default())
        .await
        .unwrap();
    let prefix = unique_prefix("spread");
    let store = CacheStore::new(both, ctx.clone())
        .with_prefix(&prefix)
        .unwrap();
    let mut keys = Vec::new();
    for _ in 0..20 {
        let key = SessionKey::generate();
        store
            .create(&key, &record(&ctx, json!({"n": 1})))
            .await
            .unwrap();
        keys.push(key);
    }
    for url in &urls {
        let one = MemcachedCache::connect([url], Timeouts::default())
            .await
            .unwrap();
        let mut held = 0;
        for key in &keys {
            held += usize::from(one.get(&store.cache_key(key)).await.unwrap().is_some());
        }
        assert!(
            held > 0 && held < keys.len(),
            "{url} holds {held} of {}",
            keys.len()
        );
    }
    for key in &keys {
        store.delete(key).await.unwrap();
    }
}
