//! # session-cookie
//!
//! Django's `signed_cookies` session engine: no server state, the session key *is* the
//! cookie value, `signing.dumps(data, salt="django.contrib.sessions.backends.signed_cookies",
//! compress=True)`. A Django app with the same `SECRET_KEY` reads the cookies this engine
//! writes, and the reverse. An opt-in encrypted mode hides the data from the client.
//!
//! ```
//! use session_core::{SessionManager, SessionSettings};
//! use session_cookie::CookieStore;
//!
//! # async fn demo() -> session_core::Result<()> {
//! // or CookieStore::builder(ctx).encrypted().build() for the encrypted mode
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, CookieStore::new)?;
//! let session = sessions.session(None);
//! session.insert("cart", vec![1, 2]).await?;
//! session.save().await?;
//! let cookie = session.session_key().unwrap(); // the signed data: send it as the cookie
//! # Ok(()) }
//! ```
#![doc = include_str!("../docs/design.md")]
#![warn(missing_docs)]

mod config;
mod encrypted;
mod signed;
mod store;

pub use config::{CookieMode, CookieStoreBuilder, MAX_COOKIE_SIZE};
pub use encrypted::{ENCRYPTED_PREFIX, ENCRYPTION_SALT};
pub use signed::COOKIE_SALT;
pub use store::CookieStore;
