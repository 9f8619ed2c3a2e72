//! # session-cache
//!
//! Django's cache session engine (`django.contrib.sessions.backends.cache`): sessions in a
//! cache, under `django.contrib.sessions.cache<key>`. One engine, [`CacheStore`], runs
//! over anything implementing the small [`Cache`] trait (get, set with TTL, add if absent,
//! replace if present, delete); three caches come with the crate, each behind a cargo
//! feature:
//!
//! | feature | cache | for |
//! |---|---|---|
//! | `memory` (default) | [`MemoryCache`], in-process on moka | one process, tests; the embedded default |
//! | `redis` | [`RedisCache`], Redis or Redis Cluster on redis-rs | several processes |
//! | `memcached` | [`MemcachedCache`], one or more memcached servers | several processes |
//!
//! In-process:
//!
//! ```
//! use session_cache::{CacheStore, MemoryCache};
//! use session_core::{SessionManager, SessionSettings};
//!
//! # async fn demo() -> session_core::Result<()> {
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
//!     Ok(CacheStore::new(MemoryCache::default(), ctx))
//! })?;
//! let session = sessions.session(None);
//! session.insert("visit", 1).await?;
//! session.save().await?;
//! # Ok(()) }
//! ```
//!
//! Redis (and Redis Cluster, with [`RedisCache::connect_cluster`]):
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn demo() -> session_core::Result<()> {
//! use session_cache::{CacheStore, RedisCache, Timeouts};
//! use session_core::{SessionManager, SessionSettings};
//!
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
//!     let redis = RedisCache::connect("redis://127.0.0.1:6379", Timeouts::default())?;
//!     CacheStore::new(redis, ctx).with_prefix("myapp:")
//! })?;
//! sessions.session(None).insert("visit", 1).await?;
//! # Ok(()) }
//! ```
//!
//! Memcached, two servers:
//!
//! ```no_run
//! # #[cfg(feature = "memcached")]
//! # async fn demo() -> session_core::Result<()> {
//! use session_cache::{CacheStore, MemcachedCache, Timeouts};
//! use session_core::{SessionManager, SessionSettings};
//!
//! let servers = ["memcache://127.0.0.1:11211", "memcache://127.0.0.1:11212"];
//! let sessions = SessionManager::connect(SessionSettings::new("secret")?, async |ctx| {
//!     let memcached = MemcachedCache::connect(servers, Timeouts::default()).await?;
//!     Ok(CacheStore::new(memcached, ctx))
//! })
//! .await?;
//! sessions.session(None).insert("visit", 1).await?;
//! # Ok(()) }
//! ```
//!
//! Design decisions:
//! - **Django's operations, atomically.** `create` is the cache's add-if-absent (Redis
//!   `SET NX`, memcached `add`, moka's entry API), so a collision never overwrites;
//!   `save` is replace-if-present (`SET XX`, `replace`), so saving a session deleted
//!   meanwhile is [`Error::SessionDeleted`](session_core::Error::SessionDeleted); `load`
//!   is a get, `delete` a delete, `clear_expired` returns 0 (the cache expires entries).
//! - **Signed values.** The value is the core's signed stored-session string, not Django's
//!   pickled dict (a Rust app cannot share a Django cache anyway): something written into
//!   the cache without the secret is no session, and is logged on
//!   `session_core::security`.
//! - **Expiry from the value.** The TTL is the session's time left (at least one
//!   second); a browser-close session is kept for the cookie age, as Django does. The
//!   value is signed as of the session's last modification, so `load` reads the expiry
//!   back from it and never returns an expired session, even before the cache drops it
//!   or when the store's clock is not the server's.
//! - **Outages are errors, quickly.** Every server backend sets a connect timeout, a
//!   response timeout and a short reconnect back-off ([`Timeouts`], 0.5 s + 0.5 s + 100 ms
//!   by default) and enforces connect + response as a hard deadline per call. A call
//!   during an outage fails within it; once the server is back, calls succeed again on
//!   the same store object. redis-rs's connection manager defaults (minutes of back-off,
//!   no deadline on a reconnect) are never used.
//! - **Memcached client: the `memcache` crate (without its OpenSSL feature), through its
//!   async meta-protocol client `memcache::exp::AsyncMemcache`.** It is native Tokio (no
//!   blocking call on the async workers, no `spawn_blocking` thread per call), has a
//!   connect timeout and a per-exchange deadline, discards a connection that timed out
//!   instead of reading a stale answer from it later, dials lazily and redials at once
//!   after an outage, and its `add`/`replace` report "not stored" as `false`. The crate's
//!   classic blocking client was rejected: over the ASCII protocol its `add` and
//!   `replace` swallow `NOT_STORED` (a collision would look like success), and over the
//!   binary protocol a connection that timed out mid-answer goes back to the pool and can
//!   hand the next caller another key's value. The async client lives in a module the
//!   crate calls experimental, so the version is pinned exactly; keys are routed by our
//!   own rendezvous hash on FNV-1a, stable across processes and Rust releases.
//! - **No TLS yet.** redis-rs is built without TLS (`rediss://` URLs are refused); when
//!   it is added it will be rustls.
//!
//! Known limits, as in Django: sessions vanish if the cache evicts them (size the cache,
//! or use `session-cachedb`); a memcached server that goes away takes its sessions with it.
#![warn(missing_docs)]

mod cache;
#[cfg(feature = "memcached")]
mod memcached;
#[cfg(feature = "memory")]
mod memory;
#[cfg(feature = "memory")]
mod memory_store;
#[cfg(feature = "redis")]
mod redis_cache;
mod store;
mod timeouts;
mod url;

pub use cache::Cache;
#[cfg(feature = "memcached")]
pub use memcached::MemcachedCache;
#[cfg(feature = "memory")]
pub use memory::{DEFAULT_CAPACITY_BYTES, MemoryCache};
#[cfg(feature = "memory")]
pub use memory_store::MemoryStore;
#[cfg(feature = "redis")]
pub use redis_cache::RedisCache;
pub use store::{CacheStore, DEFAULT_PREFIX};
pub use timeouts::Timeouts;
pub use url::connect;
