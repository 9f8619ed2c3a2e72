//! # session-middleware
//!
//! Django's `SessionMiddleware` for tower and axum. Put [`SessionLayer`] in front of your
//! routes; handlers take a [`Session`] (axum) or read `session_core::Session` from the
//! request extensions (any tower service); after the handler the session is saved and the
//! cookie set, exactly as Django does it:
//!
//! ```
//! use axum::{Router, routing::get};
//! use session_core::{SessionManager, SessionSettings};
//! use session_middleware::{Session, SessionError, SessionLayer};
//!
//! async fn visit(session: Session) -> Result<String, SessionError> {
//!     let count: u64 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", count).await?;
//!     Ok(format!("Visit count:{count}"))
//! }
//!
//! # fn demo() -> session_core::Result<()> {
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
//!     Ok(session_conformance::ReferenceStore::open("visits", ctx)) // any engine
//! })?;
//! let app: Router = Router::new().route("/visit", get(visit)).layer(SessionLayer::new(sessions)?);
//! # Ok(()) }
//! ```
//!
//! What happens after the handler (Django 5.2's `process_response`):
//! - a session that was accessed gets `Vary: Cookie` (also whenever the cookie is set or
//!   deleted, the CVE-2026-35192 fix);
//! - an empty session whose cookie came in gets the cookie deleted (same path, domain,
//!   SameSite);
//! - a modified session (every non-empty session with `save_every_request`) is saved unless
//!   the response is a 5xx, and the cookie is set with `Max-Age`/`expires` (none for
//!   browser-close sessions), `Domain`, `Path`, `Secure`, `HttpOnly`, `SameSite`;
//! - a session deleted by a concurrent request (a logout) turns the response into 400; a
//!   backend failure while saving turns it into 500 (both logged).
//!
//! Beyond Django: an incoming key that turns out unknown is never saved as an empty
//! session with `save_every_request`; its cookie is deleted instead. And before the handler,
//! when idle or absolute timeouts are configured (`SessionSettings::timeouts`,
//! django-session-timeout's settings; see `session_core::timeouts`), a session that came with
//! a cookie is loaded and checked: a timed-out one is flushed, then the request gets a 302 to
//! `SESSION_TIMEOUT_REDIRECT` (the handler does not run) or carries on with a fresh session;
//! a live one has its idle timestamp refreshed once it is older than the grace period. A new
//! session is stamped when it is first saved.
#![warn(missing_docs)]

mod cleanup;
pub mod cookie;
#[cfg(feature = "axum")]
mod error;
mod layer;
mod vary;

pub use cleanup::spawn_clear_expired;
#[cfg(feature = "axum")]
pub use error::SessionError;
pub use layer::{SessionLayer, SessionService};
/// The request's session; with the `axum` feature, also an axum extractor.
pub use session_core::Session;
