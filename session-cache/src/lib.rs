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
//! | `memory` (default) | [`MemoryStore`] (the engine itself, sessions kept decoded) and [`MemoryCache`], in-process (sharded map, near-LRU) | one process, tests |
//! | `redis` | [`RedisCache`], Redis or Redis Cluster on redis-rs | several processes |
//! | `memcached` | [`MemcachedCache`], one or more memcached servers | several processes |
//!
//! In-process:
//!
//! ```
//! use session_cache::MemoryStore;
//! use session_core::{SessionManager, SessionSettings};
//!
//! # async fn demo() -> session_core::Result<()> {
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
//!     Ok(MemoryStore::new(ctx))
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
#![doc = include_str!("../docs/design.md")]
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
