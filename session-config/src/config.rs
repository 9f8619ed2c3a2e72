//! Configuration shared by the demo and the `sessions` command: Django's setting names as
//! environment variables, each also a command-line flag.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use session_core::{Conflicts, Result, SessionSettings};

use crate::secret;

/// Which engine holds the sessions (`SESSION_ENGINE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineKind {
    /// `session-db` on `DATABASE_URL` (default: SQLite file `sessions.sqlite3`).
    Db,
    /// `session-file` in `SESSION_FILE_PATH`.
    File,
    /// `session-cache` on `CACHE_URL`.
    Cache,
    /// `session-cachedb`: `CACHE_URL` in front of `DATABASE_URL`.
    CachedDb,
    /// `session-cookie`: the session lives in the signed cookie.
    SignedCookies,
}

/// The settings, read from flags or the environment.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// db | file | cache | cached-db | signed-cookies.
    #[arg(long, env = "SESSION_ENGINE", default_value = "db", value_parser = parse_engine)]
    pub engine: EngineKind,
    /// sqlite://..., postgres://..., mysql://... (default: SQLite file sessions.sqlite3 here).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Table of the db engine (default: Django's `django_session`).
    #[arg(long, env = "SESSION_DB_TABLE", default_value = session_db::DEFAULT_TABLE)]
    pub db_table: String,
    /// redis://..., redis+cluster://host:port,host:port, memcache://host:port,..., or memory.
    #[arg(long, env = "CACHE_URL", default_value = "memory")]
    pub cache_url: String,
    /// Directory of the file engine, private to this user (default: `django-sessions-<uid>`
    /// in the OS temporary directory, created with mode 0700).
    #[arg(long, env = "SESSION_FILE_PATH")]
    pub file_path: Option<PathBuf>,
    /// Signing key. When unset, a development key is made and kept in `.session-secret-key`.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Older keys still accepted, comma-separated.
    #[arg(
        long,
        env = "SECRET_KEY_FALLBACKS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub secret_key_fallbacks: Vec<String>,
    /// SESSION_COOKIE_NAME.
    #[arg(long, env = "SESSION_COOKIE_NAME", default_value = "sessionid")]
    pub cookie_name: String,
    /// SESSION_COOKIE_AGE in seconds.
    #[arg(long, env = "SESSION_COOKIE_AGE", default_value_t = session_core::settings::DEFAULT_COOKIE_AGE)]
    pub cookie_age: i64,
    /// SESSION_COOKIE_SECURE.
    #[arg(long, env = "SESSION_COOKIE_SECURE", default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,
    /// Encrypt signed-cookie sessions (XChaCha20-Poly1305) instead of only signing them;
    /// not readable by Django.
    #[arg(long, env = "SESSION_COOKIE_ENCRYPTED", default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub cookie_encrypted: bool,
    /// SESSION_EXPIRE_AT_BROWSER_CLOSE.
    #[arg(long, env = "SESSION_EXPIRE_AT_BROWSER_CLOSE", default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub expire_at_browser_close: bool,
    /// SESSION_SAVE_EVERY_REQUEST.
    #[arg(long, env = "SESSION_SAVE_EVERY_REQUEST", default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub save_every_request: bool,
    /// SESSION_CONFLICTS: `overwrite` (the last save wins, as in Django) or `detect` (a save
    /// over a concurrent change is refused, answered 409; not with signed_cookies).
    #[arg(long, env = "SESSION_CONFLICTS", default_value = "overwrite", value_parser = parse_conflicts)]
    pub conflicts: Conflicts,
}

fn parse_conflicts(text: &str) -> std::result::Result<Conflicts, String> {
    text.parse().map_err(|e: session_core::Error| e.to_string())
}

fn parse_engine(text: &str) -> std::result::Result<EngineKind, String> {
    match text.to_ascii_lowercase().replace('-', "_").as_str() {
        "db" => Ok(EngineKind::Db),
        "file" => Ok(EngineKind::File),
        "cache" => Ok(EngineKind::Cache),
        "cached_db" | "cacheddb" => Ok(EngineKind::CachedDb),
        "signed_cookies" | "cookie" | "cookies" => Ok(EngineKind::SignedCookies),
        other => Err(format!(
            "unknown engine {other:?}: use db, file, cache, cached_db or signed_cookies"
        )),
    }
}

/// Django-ish booleans: true/false, 1/0, yes/no, on/off.
fn parse_bool(text: &str) -> std::result::Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("{other:?} is not a boolean")),
    }
}

impl Config {
    /// The database URL, defaulting to the SQLite file `sessions.sqlite3` in the working
    /// directory (created if missing).
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| "sqlite://sessions.sqlite3?mode=rwc".to_owned())
    }

    /// Session settings from this configuration.
    pub fn settings(&self) -> Result<SessionSettings> {
        let mut settings = SessionSettings::with_secrets(secret::resolve(
            self.secret_key.as_deref(),
            &self.secret_key_fallbacks,
        )?);
        settings.cookie_name = self.cookie_name.clone();
        settings.cookie_age = self.cookie_age;
        settings.cookie_secure = self.cookie_secure;
        settings.expire_at_browser_close = self.expire_at_browser_close;
        settings.save_every_request = self.save_every_request;
        settings.conflicts = self.conflicts;
        settings.validate()?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn settings(args: &[&str]) -> std::result::Result<SessionSettings, String> {
        let args = ["test", "--secret-key", "test-secret"].iter().chain(args);
        let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
        cli.config.settings().map_err(|e| e.to_string())
    }

    #[test]
    fn conflicts_default_to_overwrite_and_take_detect() {
        assert_eq!(settings(&[]).unwrap().conflicts, Conflicts::Overwrite);
        let detect = settings(&["--conflicts", "detect"]).unwrap();
        assert_eq!(detect.conflicts, Conflicts::Detect);
        let error = settings(&["--conflicts", "sometimes"]).unwrap_err();
        assert!(error.contains("SESSION_CONFLICTS"), "{error}");
    }
}
