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
//! - **Unix only**: the engine relies on Unix permissions, `O_NOFOLLOW` and `flock`.
//! - **The directory is private.** The file names are the session keys: whoever can list
//!   the directory can take over every session. The default directory is not Django's (the
//!   OS temporary directory, which every user can list) but `django-sessions-<uid>` in it,
//!   created with mode 0700; a directory that is a link, belongs to another user or has any
//!   group or other permission bit is refused at construction with
//!   `Error::Configuration`, unless [`FileStoreBuilder::allow_shared_dir`] says otherwise.
//!   To share sessions with a Django app, give both the same `SESSION_FILE_PATH`.
//! - **The directory's content is not trusted.** A session file is opened without following
//!   links and without waiting on a FIFO, must be a regular file and at most 1 MiB (read
//!   no further); anything else is "no session", logged on `session_core::security`.
//!   A session that would encode to more is refused with `Error::TooLarge`.
//!   `clear_expired` removes only the files it read and found expired, and logs and skips
//!   an entry it cannot read.
//! - **Logs and errors never show a key**, only `SessionKey::log_id`; an error quoting a
//!   file name has the key replaced.
//! - **Writes never show a partial file.** A new session is written to a temporary file in
//!   the same directory and then hard-linked to its name, which fails if the name exists:
//!   an atomic insert-if-absent with the full content (Django creates an empty placeholder
//!   first, which a concurrent reader sees as an empty session). An update writes a
//!   temporary file and renames it over the old one, so a reader sees the old or the new
//!   content. A failed write leaves the previous file as it was. The temporary file is
//!   flushed to disk (`fsync`) before it gets the session's name.
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
//! - **Logout wins.** Saving a session whose file was deleted meanwhile is the "deleted
//!   mid-request" error. The check and the rename hold an exclusive `flock` on the
//!   directory, as do deletes and `clear_expired`'s removals, so a delete is never undone
//!   by a concurrent save, in this process or another one using this engine (Django's file
//!   backend takes no lock: a save of Django's can still undo a delete).
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
