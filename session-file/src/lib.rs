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
//!
//! Design decisions:
//! - **Writes never show a partial file.** A new session is written to a temporary file in
//!   the same directory and then hard-linked to its name, which fails if the name exists:
//!   an atomic insert-if-absent with the full content (Django creates an empty placeholder
//!   first, which a concurrent reader sees as an empty session). An update writes a
//!   temporary file and renames it over the old one, so a reader sees the old or the new
//!   content. A failed write leaves the previous file as it was.
//! - **Files are private**: mode 0600.
//! - **Expiry as Django computes it**: the custom `_session_expiry` if set, else the
//!   file's modification time plus the cookie age. The modification time is set from the
//!   store's clock on every write. Unlike Django, an integer custom expiry counts from the
//!   last write (Django's file backend never expires such sessions).
//! - **No blocking on the async workers**: all file system calls run on Tokio's blocking
//!   pool.
//! - `clear_expired` walks the directory, looks only at `<cookie name><valid key>` files,
//!   removes the expired ones and returns how many; it also removes temporary files left
//!   by a crash more than an hour ago (Django never does), without counting them.
//! - Saving a session whose file was deleted meanwhile is the "deleted mid-request" error.
//!   As in Django, a delete that lands between that check and the rename is lost.
#![warn(missing_docs)]
#![warn(missing_docs)]

mod files;
mod store;

pub use store::FileStore;
