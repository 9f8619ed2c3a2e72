//! # session-cli
//!
//! The `sessions` command:
//!
//! ```text
//! sessions clear-expired            # Django's clearsessions, for cron
//! sessions show KEY                 # {"session_key": ..., "data": {...}, "expire_date": ...}
//! sessions decode VALUE [--salt S] [--max-age SECONDS]
//! ```
//!
//! The benchmark is the unpublished `session-bench` crate's binary.
//!
//! Every command reads Django's setting names from the environment (`SESSION_ENGINE`,
//! `DATABASE_URL`, `CACHE_URL`, `SESSION_FILE_PATH`, `SECRET_KEY`, `SECRET_KEY_FALLBACKS`,
//! `SESSION_COOKIE_AGE`, ...) or the matching flags (`--engine`, `--database-url`, ...):
//! see [`session_config::Config`].

#![warn(missing_docs)]

pub mod commands;
