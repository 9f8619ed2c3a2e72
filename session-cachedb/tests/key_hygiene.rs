//! A hung memcached in front of a working store: every call is served by the store, the
//! cache failures are logged, and neither the log nor an error shows the session key
//! (memcached's timeout error quotes the cache key).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use session_cache::{MemcachedCache, Timeouts};
use session_cachedb::CachedDbStore;
use session_conformance::{ReferenceStore, capture_logs};
use session_core::{SessionKey, SessionRecord, SessionSettings, SessionStore, StoreContext};

/// A server that accepts connections and never answers, for as long as the test runs.
fn hung_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for socket in listener.incoming() {
            held.push(socket);
        }
    });
    address
}

#[test]
fn cache_failures_are_logged_without_the_key() {
    let ctx = StoreContext::new(SessionSettings::new("cachedb-hygiene-secret").unwrap());
    let data = json!({"n": 1}).as_object().unwrap().clone();
    let record = SessionRecord::new(data.clone(), ctx.expiry_date(&data, ctx.now()));
    let key = SessionKey::generate();
    let ((), log) = capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                // The client's own response timeout fires first: its error names the key.
                let timeouts = Timeouts::default()
                    .connect(Duration::from_millis(200))
                    .response(Duration::from_millis(200));
                let cache =
                    MemcachedCache::connect([format!("memcache://{}", hung_server())], timeouts)
                        .await
                        .unwrap();
                let store = Arc::new(ReferenceStore::open("cachedb-hygiene", ctx.clone()));
                let both = CachedDbStore::new(cache, store, ctx.clone());
                both.create(&key, &record).await.unwrap();
                assert!(both.load(&key).await.unwrap().is_some());
                both.save(&key, &record).await.unwrap();
                let err = both.delete(&key).await.unwrap_err();
                let text = format!("{err} {err:?}");
                assert!(!text.contains(key.as_str()), "the key shows: {text}");
                assert!(text.contains(&key.log_id()), "{text}");
            })
    });
    assert!(log.contains("ERROR"), "no cache failure logged: {log}");
    assert!(!log.contains(key.as_str()), "the key shows: {log}");
    assert!(log.contains(&key.log_id()), "{log}");
}
