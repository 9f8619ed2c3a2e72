//! # session-db
//!
//! Django's default session engine on [sqlx]: sessions in Django's own `django_session`
//! table, on SQLite (the embedded default), PostgreSQL or MySQL/MariaDB (cargo features
//! `sqlite`, `postgres`, `mysql`). A Django app with the same `SECRET_KEY` reads the rows this
//! engine writes, and the reverse.
//!
//! ```no_run
//! use session_core::{SessionManager, SessionSettings};
//! use session_db::{DbConfig, DbStore};
//!
//! # async fn demo() -> session_core::Result<()> {
//! let config = DbConfig::new("sqlite://sessions.sqlite3?mode=rwc");
//! let sessions = SessionManager::connect(SessionSettings::new("secret")?, async |ctx| {
//!     let store = DbStore::open(config, ctx).await?;
//!     store.migrate().await?; // creates Django's table if missing
//!     Ok(store)
//! })
//! .await?;
//! let session = sessions.session(None);
//! session.insert("visit", 1).await?;
//! session.save().await?;
//! # Ok(()) }
//! ```
//!
//! Design decisions:
//! - **One code path, dialect SQL as data.** The statements differ (quoting, placeholders,
//!   column types, batched delete) and so does `expire_date`'s storage; the logic does not.
//! - **Django's schema and formats.** `session_key varchar(40)` primary key, `session_data`
//!   text (longtext on MySQL), `expire_date` `timestamp with time zone` on PostgreSQL,
//!   `datetime(6)` in UTC on MySQL, and on SQLite Django's text form
//!   (`2026-12-06 10:46:42.980318`, no fraction when it is zero), which sorts as time, so
//!   `expire_date > now` compares correctly as text.
//! - **create is a plain INSERT**: a unique violation is a key collision (the session
//!   handle retries with a fresh key), never an overwrite. **save is an UPDATE**: no row means
//!   the session was deleted meanwhile ("logout wins").
//! - **clear_expired deletes 1,000 rows per statement** until a batch comes back short, so
//!   millions of expired rows never hold a long lock.
//! - **SQLite is fast by shape**: WAL journal, `synchronous=NORMAL`, a busy timeout, one
//!   writer connection (SQLite commits one write at a time; queueing beats sleeping on the
//!   lock) and a pool of readers. An in-memory database keeps exactly one connection.
//! - **Saves are committed together** (SQLite and PostgreSQL): the saves that queue while
//!   a batch is being written go out as the next one, a single `UPDATE ... FROM ...
//!   RETURNING` of up to 32 rows, one statement and one commit for all (two saves of one
//!   key keep the later). Under 16 concurrent clients this took `/visit` on SQLite from
//!   4.2k to 10k requests per second and from 257 to 135 µs of server CPU each, on
//!   PostgreSQL from 0.83x to 1.05-1.42x tower-sessions' requests over six side-by-side
//!   runs (`docs/bench/history.md`, "Saves committed together" and the full run after
//!   it). A save alone is the plain `UPDATE`. Saves under
//!   `SESSION_CONFLICTS=detect`, creates and deletes are not batched, nor is anything on
//!   MySQL. A save whose caller gave up (its deadline passed) before its batch started is
//!   not written; once started, a batch finishes even if that caller goes. One batch runs at
//!   a time, so on PostgreSQL a row locked elsewhere for long holds up the store's saves
//!   until the server's lock timeout ends that batch: [`DbConfig::batch_saves`] turns
//!   batching off. PostgreSQL saves are batched only with server timeouts on (the default),
//!   so that a batch given up on is ended by the server and never lands after a later one;
//!   a batch that deadlocks with another process's is written again row by row.
//! - **Pools connect lazily**, with an acquire timeout (3 s by default): with the server
//!   down a call fails within the timeout, and works again once the server is back.
//! - **The pools are not public API.** The cargo feature `bench-internals` exports
//!   `Pools` for `session-bench` alone, whose raw SQL baseline runs on exactly the pools
//!   the engine would open; nothing else should enable it.
//! - **Every statement has a deadline** (5 s by default, [`DbConfig::deadline`]): a server
//!   that stops answering mid-query, or a row lock held elsewhere, fails the call instead
//!   of hanging the request. The server gets the same limit as its statement and lock
//!   timeouts (PostgreSQL `statement_timeout`/`lock_timeout`, MariaDB
//!   `max_statement_time`, MySQL `max_execution_time`, `innodb_lock_wait_timeout`, SQLite's
//!   busy timeout), so work the store gave up on stops there too. A connection whose call
//!   was cut off is checked by the pool before reuse, never handed out half-read.
#![warn(missing_docs)]

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod batch;
mod config;
mod dialect;
mod pool;
mod server_timeouts;
mod store;

pub use config::{DEFAULT_TABLE, DbConfig};
pub use dialect::Dialect;
#[cfg(feature = "bench-internals")]
pub use pool::Pools;
pub use store::DbStore;
