//! What the conformance suite cannot see from outside: the key layout, the TTL each
//! backend is given, and values planted in the cache without the secret.

mod common;

use std::time::Duration;

use common::{context, record};
use serde_json::json;
use session_cache::{
    Cache, CacheStore, DEFAULT_PREFIX, MemcachedCache, MemoryCache, RedisCache, Swap, Timeouts,
};
use session_core::{
    Conflicts, Error, HashedKeys, Secrets, SessionKey, SessionSettings, SessionStore, StoreContext,
};

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

/// The CAS token path of `SESSION_CONFLICTS=detect` on memcached: a load carries the
/// item's token (not the value) and the save is stored only over that very item, so a
/// change between them is a conflict even when it wrote the loaded bytes back; a version
/// that is a plain value still compares values.
#[tokio::test]
async fn memcached_detect_saves_over_the_cas_token() {
    let mut settings = SessionSettings::new("session-cache-test-secret").unwrap();
    settings.conflicts = Conflicts::Detect;
    let ctx = StoreContext::new(settings);
    let cache = MemcachedCache::connect(common::memcached_urls(), Timeouts::default())
        .await
        .unwrap();
    let store = CacheStore::new(cache.clone(), ctx.clone())
        .with_prefix(unique_prefix("cas"))
        .unwrap();
    let ttl = Duration::from_secs(60);
    // Several keys, so both servers get some.
    for n in 0..4 {
        let key = SessionKey::generate();
        let name = store.cache_key(&key);
        store
            .create(&key, &record(&ctx, json!({"n": n})))
            .await
            .unwrap();
        let stored = cache.get(&name).await.unwrap().unwrap();

        // The loaded version is a token, not the value, and a save over it succeeds.
        let loaded = store.load(&key).await.unwrap().unwrap();
        let token = loaded.version().unwrap().to_owned();
        assert_ne!(token, stored);
        let (value, version) = cache.get_versioned(&name).await.unwrap().unwrap();
        assert_eq!(
            (value.as_str(), version.as_str()),
            (stored.as_str(), token.as_str())
        );
        let saved = store
            .save_if_unchanged(&key, &record(&ctx, json!({"n": n, "a": 1})), &loaded)
            .await
            .unwrap();
        assert_eq!(saved.data().get("a"), Some(&json!(1)));

        // A change in between, even one writing the loaded bytes back, is a conflict.
        let loaded = store.load(&key).await.unwrap().unwrap();
        let current = cache.get(&name).await.unwrap().unwrap();
        cache.set(&name, &stored, ttl).await.unwrap();
        cache.set(&name, &current, ttl).await.unwrap();
        assert!(matches!(
            store
                .save_if_unchanged(&key, &record(&ctx, json!({"n": n, "b": 1})), &loaded)
                .await,
            Err(Error::Conflict)
        ));
        assert_eq!(cache.get(&name).await.unwrap().unwrap(), current);

        // A version that is the stored value works as before: values are compared.
        let by_value = store.load_encoded(&key).await.unwrap().unwrap();
        assert_eq!(by_value.version(), Some(current.as_str()));
        let stale = by_value.clone().with_version(stored.clone());
        assert!(matches!(
            store
                .save_if_unchanged(&key, &record(&ctx, json!({"n": n, "c": 1})), &stale)
                .await,
            Err(Error::Conflict)
        ));
        store
            .save_if_unchanged(&key, &record(&ctx, json!({"n": n, "c": 1})), &by_value)
            .await
            .unwrap();
        let (after, _) = cache.get_versioned(&name).await.unwrap().unwrap();
        assert_eq!(
            ctx.decode_record(&after).unwrap().data().get("c"),
            Some(&json!(1))
        );

        // Deleted between the load and the save: SessionDeleted, nothing comes back.
        let loaded = store.load(&key).await.unwrap().unwrap();
        store.delete(&key).await.unwrap();
        assert!(matches!(
            store
                .save_if_unchanged(&key, &record(&ctx, json!({"n": n})), &loaded)
                .await,
            Err(Error::SessionDeleted)
        ));
        assert_eq!(cache.get(&name).await.unwrap(), None);
        assert_eq!(
            cache
                .compare_and_swap(&name, loaded.version().unwrap(), "x", ttl)
                .await
                .unwrap(),
            Swap::Missing
        );
        assert_eq!(cache.get_versioned(&name).await.unwrap(), None);
    }

    // A version read under one key is never a match under another (a session moving to
    // its key's new hash): the other entry is changed, or missing.
    let (one, other) = (SessionKey::generate(), SessionKey::generate());
    let (one, other) = (store.cache_key(&one), store.cache_key(&other));
    cache.set(&one, "one", ttl).await.unwrap();
    let (_, version) = cache.get_versioned(&one).await.unwrap().unwrap();
    assert_eq!(
        cache
            .compare_and_swap(&other, &version, "x", ttl)
            .await
            .unwrap(),
        Swap::Missing
    );
    cache.set(&other, "other", ttl).await.unwrap();
    assert_eq!(
        cache
            .compare_and_swap(&other, &version, "x", ttl)
            .await
            .unwrap(),
        Swap::Changed
    );
    assert_eq!(cache.get(&other).await.unwrap().as_deref(), Some("other"));
    assert_eq!(
        cache
            .compare_and_swap(&one, &version, "1", ttl)
            .await
            .unwrap(),
        Swap::Swapped
    );
    for name in [one, other] {
        cache.delete(&name).await.unwrap();
    }
}

/// Keys hashed at rest, after a rotation, under `SESSION_CONFLICTS=detect` on memcached: a
/// session loaded under its old hash moves to the new one on save, and a second request
/// that loaded it there too gets a conflict (its token was read under the old hash).
#[tokio::test]
async fn memcached_detect_moves_a_session_to_its_new_hash() {
    let cache = MemcachedCache::connect(common::memcached_urls(), Timeouts::default())
        .await
        .unwrap();
    let prefix = unique_prefix("rehash");
    let hashed = |secrets: Secrets| {
        let mut settings = SessionSettings::with_secrets(secrets);
        settings.conflicts = Conflicts::Detect;
        let ctx = StoreContext::new(settings);
        let store = CacheStore::new(cache.clone(), ctx.clone())
            .with_prefix(&prefix)
            .unwrap();
        (HashedKeys::new(std::sync::Arc::new(store), &ctx), ctx)
    };
    let (before, ctx) = hashed(Secrets::new("old secret").unwrap());
    let (after, _) = hashed(
        Secrets::new("new secret")
            .unwrap()
            .with_fallbacks(["old secret"])
            .unwrap(),
    );
    let key = SessionKey::generate();
    before
        .create(&key, &record(&ctx, json!({"n": 0})))
        .await
        .unwrap();
    let first = after.load(&key).await.unwrap().unwrap();
    let second = after.load(&key).await.unwrap().unwrap();
    after
        .save_if_unchanged(&key, &record(&ctx, json!({"n": 1})), &first)
        .await
        .unwrap();
    assert!(matches!(
        after
            .save_if_unchanged(&key, &record(&ctx, json!({"n": 2})), &second)
            .await,
        Err(Error::Conflict)
    ));
    let now = after.load(&key).await.unwrap().unwrap();
    assert_eq!(now.data().get("n"), Some(&json!(1)));
    assert!(
        before.load(&key).await.unwrap().is_none(),
        "the old hash stayed"
    );
    after.delete(&key).await.unwrap();
}

/// A cache without versions of its own gives the value as the version.
#[tokio::test]
async fn the_default_version_is_the_value() {
    let cache = MemoryCache::default();
    cache.set("k", "v1", Duration::from_secs(60)).await.unwrap();
    assert_eq!(
        cache.get_versioned("k").await.unwrap(),
        Some(("v1".to_owned(), "v1".to_owned()))
    );
    assert_eq!(cache.get_versioned("missing").await.unwrap(), None);
}
