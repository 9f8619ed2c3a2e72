//! What the write-through layer promises beyond the suite: the cache is read first, a
//! cache failure is logged and served by the store, and the cache never holds what the
//! store refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use session_cache::{Cache, MemoryCache, RedisCache, Timeouts};
use session_cachedb::CachedDbStore;
use session_conformance::ReferenceStore;
use session_core::{
    Error, Result, SessionKey, SessionRecord, SessionSettings, SessionStore, StoreContext,
    async_trait,
};
use session_test_support::Outage;

fn context() -> StoreContext {
    StoreContext::new(SessionSettings::new("cachedb-test-secret").unwrap())
}

fn record(ctx: &StoreContext, n: i64) -> SessionRecord {
    let data = json!({"n": n}).as_object().unwrap().clone();
    let expires_at = ctx.expiry_date(&data, ctx.now());
    SessionRecord::new(data, expires_at)
}

fn unique(tag: &str) -> String {
    format!("cachedb_{tag}_{}", SessionKey::generate().as_str())
}

/// A cache that fails every call while `down`, and counts the calls.
#[derive(Debug, Default)]
struct Flaky {
    inner: MemoryCache,
    down: AtomicBool,
    calls: AtomicUsize,
}

impl Flaky {
    fn check(&self) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            Err(Error::backend_msg("the test cache is down"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Cache for Flaky {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.check()?;
        self.inner.get(key).await
    }
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        self.check()?;
        self.inner.set(key, value, ttl).await
    }
    async fn add(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        self.check()?;
        self.inner.add(key, value, ttl).await
    }
    async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        self.check()?;
        self.inner.replace(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.check()?;
        self.inner.delete(key).await
    }
}

/// A store that counts calls and can be made to fail.
#[derive(Debug)]
struct Watched {
    inner: ReferenceStore,
    failing: AtomicBool,
    calls: AtomicUsize,
}

impl Watched {
    fn new(ctx: &StoreContext) -> Arc<Self> {
        Arc::new(Watched {
            inner: ReferenceStore::open(&unique("store"), ctx.clone()),
            failing: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
        })
    }

    fn check(&self) -> Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            Err(Error::backend_msg("the test store is down"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SessionStore for Watched {
    async fn exists(&self, key: &SessionKey) -> Result<bool> {
        self.check()?;
        self.inner.exists(key).await
    }
    async fn create(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.check()?;
        self.inner.create(key, record).await
    }
    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<SessionKey> {
        self.check()?;
        self.inner.save(key, record).await
    }
    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.check()?;
        self.inner.delete(key).await
    }
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>> {
        self.check()?;
        self.inner.load(key).await
    }
    async fn clear_expired(&self) -> Result<u64> {
        self.check()?;
        self.inner.clear_expired().await
    }
}

fn setup() -> (
    StoreContext,
    Arc<Flaky>,
    Arc<Watched>,
    CachedDbStore<Arc<Flaky>>,
) {
    let ctx = context();
    let cache = Arc::new(Flaky::default());
    let store = Watched::new(&ctx);
    let both = CachedDbStore::new(cache.clone(), store.clone(), ctx.clone());
    (ctx, cache, store, both)
}

/// Runs `f` on a fresh runtime, recording the log; returns the log.
fn logged(f: impl std::future::Future<Output = ()>) -> String {
    session_conformance::capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
    .1
}

#[tokio::test]
async fn a_cache_hit_does_not_ask_the_store() {
    let (ctx, _cache, store, both) = setup();
    let key = SessionKey::generate();
    both.create(&key, &record(&ctx, 1)).await.unwrap();
    let before = store.calls.load(Ordering::SeqCst);
    assert!(both.exists(&key).await.unwrap());
    assert_eq!(both.load(&key).await.unwrap().unwrap().data()["n"], 1);
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        before,
        "the store was asked"
    );
}

#[tokio::test]
async fn a_miss_is_served_by_the_store_and_fills_the_cache() {
    let (ctx, cache, store, both) = setup();
    let key = SessionKey::generate();
    store.create(&key, &record(&ctx, 7)).await.unwrap();
    assert_eq!(both.load(&key).await.unwrap().unwrap().data()["n"], 7);
    let cached = cache
        .inner
        .get(&both.cache().cache_key(&key))
        .await
        .unwrap();
    assert!(cached.is_some(), "the cache was not filled");
    // The filled copy keeps the store's expiry.
    let again = both.cache().load(&key).await.unwrap().unwrap();
    let stored = store.load(&key).await.unwrap().unwrap();
    assert!(
        (stored.expires_at() - again.expires_at())
            .num_seconds()
            .abs()
            <= 1
    );
}

#[test]
fn cache_down_keeps_serving_loads_and_saves_from_the_store() {
    let (ctx, cache, store, both) = setup();
    let log = logged(async {
        let key = SessionKey::generate();
        both.create(&key, &record(&ctx, 1)).await.unwrap();
        cache.down.store(true, Ordering::SeqCst);
        both.save(&key, &record(&ctx, 2)).await.unwrap();
        assert_eq!(both.load(&key).await.unwrap().unwrap().data()["n"], 2);
        assert!(both.exists(&key).await.unwrap());
        let fresh = SessionKey::generate();
        both.create(&fresh, &record(&ctx, 3)).await.unwrap();
        assert_eq!(store.load(&fresh).await.unwrap().unwrap().data()["n"], 3);
        // Logout must not leave a copy behind: with the cache down it fails, after
        // removing the store's copy.
        assert!(both.delete(&key).await.unwrap_err().is_backend());
        assert!(!store.exists(&key).await.unwrap());
    });
    assert!(cache.calls.load(Ordering::SeqCst) > 0);
    assert!(log.contains("session_cachedb"), "{log}");
    assert!(log.contains("the test cache is down"), "{log}");
    assert!(log.contains("ERROR"), "{log}");
}

#[tokio::test]
async fn the_cache_never_holds_what_the_store_refused() {
    let (ctx, cache, store, both) = setup();
    // Refused as deleted: nothing cached, and a stale copy is dropped.
    let missing = SessionKey::generate();
    let err = both.save(&missing, &record(&ctx, 1)).await.unwrap_err();
    assert!(matches!(err, Error::SessionDeleted), "{err:?}");
    assert_eq!(
        cache
            .inner
            .get(&both.cache().cache_key(&missing))
            .await
            .unwrap(),
        None
    );

    let key = SessionKey::generate();
    both.create(&key, &record(&ctx, 1)).await.unwrap();
    store.delete(&key).await.unwrap(); // behind the engine's back
    let err = both.save(&key, &record(&ctx, 2)).await.unwrap_err();
    assert!(matches!(err, Error::SessionDeleted), "{err:?}");
    assert!(
        both.load(&key).await.unwrap().is_none(),
        "the stale copy survived"
    );

    // Refused by a failing store: the call fails and the cache keeps the old copy.
    let kept = SessionKey::generate();
    both.create(&kept, &record(&ctx, 1)).await.unwrap();
    store.failing.store(true, Ordering::SeqCst);
    assert!(
        both.save(&kept, &record(&ctx, 2))
            .await
            .unwrap_err()
            .is_backend()
    );
    let fresh = SessionKey::generate();
    assert!(
        both.create(&fresh, &record(&ctx, 1))
            .await
            .unwrap_err()
            .is_backend()
    );
    assert!(both.clear_expired().await.unwrap_err().is_backend());
    store.failing.store(false, Ordering::SeqCst);
    assert_eq!(both.load(&kept).await.unwrap().unwrap().data()["n"], 1);
    assert!(!both.exists(&fresh).await.unwrap());

    // A collision in the store is the store's answer; the cache is not touched.
    let err = both.create(&kept, &record(&ctx, 9)).await.unwrap_err();
    assert!(matches!(err, Error::KeyCollision), "{err:?}");
    assert_eq!(both.load(&kept).await.unwrap().unwrap().data()["n"], 1);
}

#[tokio::test]
async fn arc_dyn_cache_works() {
    let ctx = context();
    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::default());
    let store = Arc::new(ReferenceStore::open(&unique("dyn"), ctx.clone()));
    let both = CachedDbStore::new(cache, store, ctx.clone());
    let key = SessionKey::generate();
    both.create(&key, &record(&ctx, 5)).await.unwrap();
    assert_eq!(both.load(&key).await.unwrap().unwrap().data()["n"], 5);
    assert_eq!(both.cache().prefix(), session_cachedb::DEFAULT_PREFIX);
}

/// A real Redis cut off mid-test (through a proxy, the shared server stays up): loads and
/// saves keep working from the store, each within the cache's timeout, and the cache is
/// used again once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_keeps_serving_from_the_store() {
    let ctx = context();
    let url = session_test_support::services::redis_url();
    let target = url
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .parse()
        .expect("REDIS_URL as redis://ip:port");
    let mut proxy = Outage::start(target).await.unwrap();
    let timeouts = Timeouts::default();
    let redis = RedisCache::connect(&format!("redis://{}", proxy.addr()), timeouts).unwrap();
    let store = Watched::new(&ctx);
    let both = CachedDbStore::new(redis, store.clone(), ctx.clone())
        .with_prefix(format!("{}:", unique("outage")))
        .unwrap();

    let key = SessionKey::generate();
    both.create(&key, &record(&ctx, 1)).await.unwrap();
    assert!(both.cache().load(&key).await.unwrap().is_some());

    proxy.down();
    let limit = timeouts.operation() * 2 + Duration::from_millis(300);
    for n in 2..5 {
        let started = Instant::now();
        both.save(&key, &record(&ctx, n)).await.unwrap();
        assert_eq!(both.load(&key).await.unwrap().unwrap().data()["n"], n);
        assert!(started.elapsed() <= limit, "took {:?}", started.elapsed());
    }

    proxy.up().await.unwrap();
    let back = Instant::now();
    loop {
        both.save(&key, &record(&ctx, 9)).await.unwrap();
        if let Ok(Some(cached)) = both.cache().load(&key).await {
            assert_eq!(cached.data()["n"], 9);
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(1),
            "the cache did not come back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    both.delete(&key).await.unwrap();
    assert!(both.load(&key).await.unwrap().is_none());
}
