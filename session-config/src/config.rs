//! Configuration shared by the demo and the `sessions` command: Django's setting names as
//! environment variables, each also a command-line flag.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use session_core::{Error, Result, SessionSettings, StoreContext};

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
    /// Key prefix of the cache and cached_db engines in the cache, so applications can share
    /// a server (default: Django's, `django.contrib.sessions.cache` and
    /// `django.contrib.sessions.cached_db`).
    #[arg(long, env = "SESSION_CACHE_KEY_PREFIX")]
    pub cache_key_prefix: Option<String>,
    /// Store an HMAC of each session key (under a key derived from SECRET_KEY) instead of
    /// the key, so a leaked table, directory or cache dump holds no usable cookie. Django
    /// cannot read such a store.
    #[arg(long, env = "SESSION_HASH_KEYS", default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub hash_keys: bool,
    /// SESSION_SAVE_EVERY_REQUEST.
    #[arg(long, env = "SESSION_SAVE_EVERY_REQUEST", default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub save_every_request: bool,
}

impl EngineKind {
    /// Django's name of the engine (`db`, `file`, `cache`, `cached_db`, `signed_cookies`):
    /// the `engine` label of its metrics.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Db => "db",
            EngineKind::File => "file",
            EngineKind::Cache => "cache",
            EngineKind::CachedDb => "cached_db",
            EngineKind::SignedCookies => "signed_cookies",
        }
    }
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

    /// The store context of this configuration: its settings, with keys hashed at rest
    /// when `SESSION_HASH_KEYS` is on (refused with signed cookies, which store no key).
    pub fn context(&self) -> Result<StoreContext> {
        if self.hash_keys && self.engine == EngineKind::SignedCookies {
            return Err(Error::config(
                "SESSION_HASH_KEYS needs a server-side engine: signed-cookie sessions store no key",
            ));
        }
        Ok(StoreContext::new(self.settings()?).with_hashed_keys(self.hash_keys))
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
        settings.validate()?;
        Ok(settings)
    }
}
