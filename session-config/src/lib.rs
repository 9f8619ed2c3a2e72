//! # session-config
//!
//! Django's session settings read from the environment (`SESSION_ENGINE`, `DATABASE_URL`,
//! `CACHE_URL`, `SESSION_FILE_PATH`, `SECRET_KEY`, `SECRET_KEY_FALLBACKS`,
//! `SESSION_COOKIE_AGE`, ...) or the matching flags, and the engine they name, built:
//!
//! ```no_run
//! use clap::Parser;
//! use session_config::{Config, engine};
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     config: Config,
//! }
//!
//! # async fn run() -> session_core::Result<()> {
//! let sessions = engine::manager(&Cli::parse().config).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Without `SECRET_KEY`, a development key is made and kept in [`secret::DEV_KEY_FILE`].
//!
//! `SESSION_PRESET=production` starts from
//! [`SessionSettings::production`](session_core::SessionSettings::production); every
//! setting given overrides the preset, and [`Config::settings`] refuses a combination
//! browsers would drop. The weak-key refusal of that preset happens when serving starts
//! (`SessionLayer::new`), never in tools that only read sessions (`sessions decode`/`show`).

#![warn(missing_docs)]

mod config;
pub mod engine;
pub mod secret;

pub use config::{Config, EngineKind, Preset, SameSiteSetting};
