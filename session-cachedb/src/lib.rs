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
//!
//! Design decisions:
//! - **The store is the truth.** `create` and `save` go to the store first and fill the
//!   cache only when the store accepted the write, so the cache never holds data the
//!   store refused. A `save` the store rejects as deleted also drops the cache's copy.
//! - **Reads.** `load` asks the cache, then the store on a miss, and fills the cache with
//!   what the store returned (with the time it has left). `exists` trusts a live cache
//!   entry and asks the store otherwise. `clear_expired` is the store's: the cache expires
//!   entries by itself.
//! - **A cache failure is not an outage** (Django 5.1+ for writes, and here for reads
//!   too): the error is logged on the `session_cachedb` tracing target and the call is
//!   served by the store. A store failure fails the call.
//! - **Except for `delete`.** It deletes from the store, then from the cache, and fails if
//!   the cache cannot be reached: a copy left in a cache that comes back would keep a
//!   logged-out session alive. Django fails there too.
//! - **Cache values** are the core's signed stored-session strings under
//!   `django.contrib.sessions.cached_db<key>` (configurable), as in `session-cache`; the
//!   store's own layout is untouched, so Django can share the table or directory.
//!
//! Known races, as in Django: a `load` that misses the cache and reads the store just
//! before a concurrent `delete` may put the old session back into the cache for the rest
//! of its lifetime; a cache hit is served without asking the store, so a session deleted
//! in the store behind this engine's back stays readable until its cache entry expires.
//! A save made while the cache was unreachable reaches only the store: if that cache comes
//! back with its old entry (it was cut off, not restarted), loads serve the older copy
//! until the next successful save or the entry's expiry. Restarted caches come back empty
//! and have no such copy.
#![warn(missing_docs)]

mod store;

pub use store::{CachedDbStore, DEFAULT_PREFIX};
