//! # session-file
//!
//! Django's file session engine: one file per session in a directory, named
//! `<cookie name><key>` (`sessionid<key>`), holding Django's stored-session encoding, so a
//! Django app with `SESSION_ENGINE = "django.contrib.sessions.backends.file"`, the same
//! directory and the same `SECRET_KEY` shares the sessions.
//!
//! ```no_run
//! use session_core::{SessionManager, SessionSettings};
//! use session_file::FileStore;
//!
//! # async fn demo() -> session_core::Result<()> {
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, |ctx| {
//!     FileStore::new(Some("/var/lib/myapp/sessions".into()), ctx)
//! })?;
//! let session = sessions.session(None);
//! session.insert("visit", 1).await?;
//! session.save().await?;
//! # Ok(()) }
//! ```
#![doc = include_str!("../docs/design.md")]
#![warn(missing_docs)]

#[cfg(not(unix))]
compile_error!("session-file supports Unix only");

mod builder;
mod directory;
mod files;
mod lock;
mod store;

pub use builder::FileStoreBuilder;
pub use store::FileStore;
