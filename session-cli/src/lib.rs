//! # session-cli
//!
//! The `sessions` command:
//!
//! ```text
//! sessions clear-expired            # Django's clearsessions, for cron
//! sessions show KEY                 # {"session_key": ..., "data": {...}, "expire_date": ...}
//! sessions delete KEY               # 1 if it was there, 0 if not
//! sessions logout-user ID           # ends every session of a user (db, Redis, in-process)
//! sessions count                    # unexpired sessions
//! sessions list [--limit N] [--show-keys]   # key prefix, expiry, size
//! sessions copy --to-engine ENGINE [--to-database-url URL | --to-cache-url URL | --to-file-path DIR]
//! sessions decode VALUE [--salt S] [--max-age SECONDS]
//! ```
//!
//! `count`, `list` and `copy` need an engine that lists its sessions (db, file, Redis, the
//! in-process cache; cached_db lists its database): see
//! [`SessionInventory`](session_core::SessionInventory).
//!
//! `copy` moves a site between engines without logging anyone out: every unexpired
//! session of the configured engine goes to the target under the same key, with the same
//! data and expiry ([`copy::copy`]). Settings not given for the target (`--to-...`) are the
//! source's. It is idempotent (a second run reports every session unchanged, and
//! overwrites those changed since), shows a progress bar on a terminal and ends with a
//! summary (copied, updated, unchanged, skipped as expired, failed); it exits with 1 if
//! any session failed. Keys are copied as stored, so with `SESSION_HASH_KEYS` both sides
//! hold the same hashes; `list` shows those hashes, and `show` and `delete` take the
//! cookie's key.
//!
//! The benchmark is the unpublished `session-bench` crate's binary.
//!
//! Every command reads Django's setting names from the environment (`SESSION_ENGINE`,
//! `DATABASE_URL`, `CACHE_URL`, `SESSION_FILE_PATH`, `SECRET_KEY`, `SECRET_KEY_FALLBACKS`,
//! `SESSION_COOKIE_AGE`, ...) or the matching flags (`--engine`, `--database-url`, ...):
//! see [`session_config::Config`].

#![warn(missing_docs)]

pub mod commands;
pub mod copy;
