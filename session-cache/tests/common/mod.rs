//! Where the test servers are, and a server that never answers.

#![allow(dead_code, unused_imports)]

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;
use session_core::{SessionRecord, SessionSettings, StoreContext};

pub use session_test_support::PrivateServer;
pub use session_test_support::services::{
    memcached_urls, redis_cluster_urls as cluster_urls, redis_url, required as services_required,
};

/// A context on the system clock with a fixed secret.
pub fn context() -> StoreContext {
    StoreContext::new(SessionSettings::new("session-cache-test-secret").unwrap())
}

/// A record of `entries` as the session handle would save it now.
pub fn record(ctx: &StoreContext, entries: serde_json::Value) -> SessionRecord {
    let data = entries.as_object().cloned().unwrap_or_default();
    let expires_at = ctx.expiry_date(&data, ctx.now());
    SessionRecord::new(data, expires_at)
}

/// A one-entry record living the cookie age.
pub fn plain_record(ctx: &StoreContext) -> SessionRecord {
    record(ctx, json!({"user": 42}))
}

/// A TCP server that accepts connections and never answers: a hung cache server.
pub fn silent_server() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            match listener.accept() {
                Ok((socket, _)) => held.push(socket),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (address, handle)
}
