//! # session-cachedb
//!
//! Django's `cached_db` session engine, generalised: a write-through cache (any
//! [`session_cache::Cache`]: in-process, Redis, Memcached, or your own) in front of any
//! persistent [`SessionStore`](session_core::SessionStore) (the database engine, the file
//! engine, or your own). Reads are served from the cache; the store keeps every session,
//! so sessions survive a cache restart or eviction.
//!
//! ```no_run
//! use std::sync::Arc;
//! use session_cache::MemoryCache;
//! use session_cachedb::CachedDbStore;
//! use session_core::{SessionManager, SessionSettings};
//! use session_db::{DbConfig, DbStore};
//!
//! # async fn demo() -> session_core::Result<()> {
//! let config = DbConfig::new("sqlite://sessions.sqlite3?mode=rwc");
//! let sessions = SessionManager::connect(SessionSettings::new("secret")?, async |ctx| {
//!     let db = DbStore::open(config, ctx.clone()).await?;
//!     db.migrate().await?;
//!     Ok(CachedDbStore::new(MemoryCache::default(), Arc::new(db), ctx))
//! })
//! .await?;
//! sessions.session(None).insert("visit", 1).await?;
//! # Ok(()) }
//! ```
#![doc = include_str!("../docs/design.md")]
#![warn(missing_docs)]

mod store;

pub use store::{CachedDbStore, DEFAULT_PREFIX};
