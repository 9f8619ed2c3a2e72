//! # session-cli
//!
//! The `sessions` command and the configuration it shares with the demo app:
//!
//! ```text
//! sessions clear-expired            # Django's clearsessions, for cron
//! sessions show KEY                 # {"session_key": ..., "data": {...}, "expire_date": ...}
//! sessions decode VALUE [--salt S] [--max-age SECONDS]
//! sessions bench [--quick] [--engine ...] [--json FILE] [--svg FILE]   # see [`bench`]
//! ```
//!
//! Every command reads Django's setting names from the environment (`SESSION_ENGINE`,
//! `DATABASE_URL`, `CACHE_URL`, `SESSION_FILE_PATH`, `SECRET_KEY`, `SECRET_KEY_FALLBACKS`,
//! `SESSION_COOKIE_AGE`, ...) or the matching flags (`--engine`, `--database-url`, ...).

pub mod bench;
pub mod commands;
pub mod config;
pub mod engine;
pub mod secret;

pub use config::{Config, EngineKind};
