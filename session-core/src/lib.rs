//! # session-core
//!
//! The contract of Django-style sessions for Rust: what `django.contrib.sessions` gives a
//! Django view as `request.session`, for axum, tower and hyper applications.
//!
//! - [`SessionStore`]: the six primitives an engine implements (Django's `exists`,
//!   `create`, `save`, `delete`, `load`, `clear_expired`).
//! - [`Session`]: the per-request handle with the whole `request.session` API: typed
//!   `get`/`insert`, `pop`, `setdefault`, `update`, `clear`, `flush`, `cycle_key`,
//!   `set_expiry` and the expiry getters, the test-cookie trio, `save`.
//! - [`SessionKey`]: validated keys; [`KeyGenerator`] makes new ones from the OS CSPRNG.
//! - [`signing`] and [`SessionCodec`]: `django.core.signing`, so a Django app with the same
//!   `SECRET_KEY` reads what Rust writes and the reverse. Compression is faster than Django's
//!   by default and Django's byte for byte on request ([`signing::Compression`]).
//! - [`SessionSettings`]: Django's setting names and defaults, and a production preset
//!   ([`SessionSettings::production`]); [`Clock`]: injectable time.
//! - [`timeouts`]: idle and absolute timeouts, compatible with `django-session-timeout`.
//! - [`Conflicts`]: `SESSION_CONFLICTS=detect` turns saves into compare-and-swap
//!   ([`SessionStore::save_if_unchanged`]): a save over a concurrent request's change fails
//!   with [`Error::Conflict`] instead of losing it, and [`Session::modify`] retries a
//!   read-modify-write on fresh data. Off by default, as Django.
//! - [`SessionInventory`]: the optional listing and counting of stores (db, file, Redis,
//!   in-process), for `sessions count`, `list` and `copy`.
//! - [`HashedKeys`]: keys hashed at rest ([`StoreContext::with_hashed_keys`]).
//! - [`users`]: "log out my other devices", [`Session::login`] and the per-user index.
//! - `Metered` (feature `metrics`): counters and latencies of every store operation through
//!   the `metrics` facade.
//!
//! ```
//! use session_core::{SessionManager, SessionSettings};
//! use session_conformance::ReferenceStore; // an in-memory engine; use any engine crate
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> session_core::Result<()> {
//! // The engine is built from the manager's context: one set of settings and one clock.
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
//!     Ok(ReferenceStore::open("shop", ctx))
//! })?;
//!
//! // First request: no cookie.
//! let session = sessions.session(None);
//! session.insert("cart", &vec![1, 2, 3]).await?;
//! session.save().await?;
//! let cookie = session.session_key().unwrap();
//!
//! // Next request: the cookie comes back.
//! let session = sessions.session(Some(cookie.as_str()));
//! let cart: Vec<u32> = session.get("cart").await?.unwrap_or_default();
//! assert_eq!(cart, [1, 2, 3]);
//! # Ok(()) }
//! ```
//!
//! Where this crate departs from Django, on purpose:
//! - keys are validated for length (8 to 40) and alphabet (`[a-z0-9]`) before any engine
//!   sees them, not only by the file backend;
//! - a `save` of a session whose key turned out unknown creates a fresh session instead of
//!   failing;
//! - an unreadable `_session_expiry` (a malformed date string) means "expired", where Django
//!   would raise;
//! - a non-integer float expiry is truncated to whole seconds by `get_expiry_age`;
//! - an expiry date outside years 1 to 9999 (Python's datetime range) is refused by
//!   `set_expiry` with [`Error::InvalidExpiry`], where Django raises `OverflowError`, and
//!   one already stored (a huge number of seconds) counts as expired; no date arithmetic
//!   panics.
#![warn(missing_docs)]

mod backend;
pub mod clock;
pub mod codec;
pub mod deadline;
pub mod error;
pub mod expiry;
#[cfg(feature = "axum")]
mod extract;
pub mod hashed_keys;
pub mod inventory;
pub mod key;
pub mod manager;
#[cfg(feature = "metrics")]
pub mod metered;
mod preset;
pub mod security_log;
pub mod session;
pub mod settings;
pub mod signing;
pub mod store;
pub mod timeouts;
pub mod users;

/// A session's data: a JSON object whose keys keep their insertion order, as a Python dict.
pub type SessionData = serde_json::Map<String, serde_json::Value>;

pub use async_trait::async_trait;
pub use clock::{Clock, MockClock, SharedClock, SystemClock};
pub use codec::{SESSION_SALT, SessionCodec};
pub use error::{Error, Result};
pub use expiry::{Expiry, StoredExpiry};
pub use hashed_keys::HashedKeys;
pub use inventory::{Cursor, KeyBatch, SessionInventory};
pub use key::{InvalidKey, KeyGenerator, RandomKeys, SessionKey};
pub use manager::{IntoSessionStore, SessionManager};
#[cfg(feature = "metrics")]
pub use metered::Metered;
pub use session::{ExpiryArgs, Session};
pub use settings::{Conflicts, SameSite, SecretKey, Secrets, SessionSettings};
pub use store::{SessionRecord, SessionStore, StoreContext};
pub use timeouts::TimeoutSettings;
pub use users::{UserIndex, UserSession};
