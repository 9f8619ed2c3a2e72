//! Configuration shared by the demo and the `sessions` command: Django's setting names as
//! environment variables, each also a command-line flag.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use session_core::{Conflicts, Error, Result, SameSite, SessionSettings, StoreContext};

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
    /// Connections of the db engine's pool (for a SQLite file: its readers).
    #[arg(long, env = "SESSION_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// Write the db engine's concurrent saves together, one statement per batch (SQLite and
    /// PostgreSQL; default true). Off: one statement per save (see the README).
    #[arg(long, env = "SESSION_DB_BATCH_SAVES", default_value = "true", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub db_batch_saves: bool,
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
    /// SESSION_PRESET: `django` (Django's defaults) or `production` (`__Host-sessionid`,
    /// Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, idle timeout 30 min, absolute
    /// timeout 24 h, weak SECRET_KEY refused at start). The settings below override it.
    #[arg(long, env = "SESSION_PRESET", default_value = "django", value_parser = parse_preset)]
    pub preset: Preset,
    /// SESSION_COOKIE_NAME (default: sessionid; production: __Host-sessionid).
    #[arg(long, env = "SESSION_COOKIE_NAME")]
    pub cookie_name: Option<String>,
    /// SESSION_COOKIE_AGE in seconds.
    #[arg(long, env = "SESSION_COOKIE_AGE", default_value_t = session_core::settings::DEFAULT_COOKIE_AGE)]
    pub cookie_age: i64,
    /// SESSION_COOKIE_DOMAIN (default: none, the cookie goes back to this host only).
    #[arg(long, env = "SESSION_COOKIE_DOMAIN")]
    pub cookie_domain: Option<String>,
    /// SESSION_COOKIE_PATH (default: /).
    #[arg(long, env = "SESSION_COOKIE_PATH")]
    pub cookie_path: Option<String>,
    /// SESSION_COOKIE_SECURE (default: false; production: true).
    #[arg(long, env = "SESSION_COOKIE_SECURE", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub cookie_secure: Option<bool>,
    /// SESSION_COOKIE_HTTPONLY (default: true).
    #[arg(long, env = "SESSION_COOKIE_HTTPONLY", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub cookie_httponly: Option<bool>,
    /// SESSION_COOKIE_SAMESITE: Lax (default), Strict, None, or False for no attribute.
    #[arg(long, env = "SESSION_COOKIE_SAMESITE", value_parser = parse_samesite)]
    pub cookie_samesite: Option<SameSiteSetting>,
    /// SESSION_EXPIRE_SECONDS: idle timeout in seconds (default: off; production: 1800).
    #[arg(long, env = "SESSION_EXPIRE_SECONDS")]
    pub expire_seconds: Option<u64>,
    /// SESSION_EXPIRE_AFTER_LAST_ACTIVITY: the idle timeout counts from the last activity
    /// (default: true) or from the session's start (false).
    #[arg(long, env = "SESSION_EXPIRE_AFTER_LAST_ACTIVITY", value_parser = parse_bool, action = clap::ArgAction::Set)]
    pub expire_after_last_activity: Option<bool>,
    /// SESSION_EXPIRE_AFTER_LAST_ACTIVITY_GRACE_PERIOD in seconds (default: 1): activity
    /// refreshes the idle timestamp only once it is older than this.
    #[arg(long, env = "SESSION_EXPIRE_AFTER_LAST_ACTIVITY_GRACE_PERIOD")]
    pub expire_after_last_activity_grace_period: Option<u64>,
    /// SESSION_ABSOLUTE_TIMEOUT: seconds from creation or login, activity or not (default:
    /// off; production: 86400).
    #[arg(long, env = "SESSION_ABSOLUTE_TIMEOUT")]
    pub absolute_timeout: Option<u64>,
    /// SESSION_TIMEOUT_REDIRECT: where a timed-out request is redirected (302); unset, it
    /// carries on with a fresh session.
    #[arg(long, env = "SESSION_TIMEOUT_REDIRECT")]
    pub timeout_redirect: Option<String>,
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
    /// SESSION_CONFLICTS: `overwrite` (the last save wins, as in Django) or `detect` (a save
    /// over a concurrent change is refused, answered 409; not with signed_cookies).
    #[arg(long, env = "SESSION_CONFLICTS", default_value = "overwrite", value_parser = parse_conflicts)]
    pub conflicts: Conflicts,
}

fn parse_conflicts(text: &str) -> std::result::Result<Conflicts, String> {
    text.parse().map_err(|e: session_core::Error| e.to_string())
}

/// `SESSION_PRESET`: which defaults the other settings start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Preset {
    /// Django's defaults.
    #[default]
    Django,
    /// [`SessionSettings::production`].
    Production,
}

/// `SESSION_COOKIE_SAMESITE` as Django spells it: `Lax`, `Strict`, `None`, or `False` (no
/// attribute), here `SameSiteSetting(None)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SameSiteSetting(pub Option<SameSite>);

fn parse_preset(text: &str) -> std::result::Result<Preset, String> {
    match text.to_ascii_lowercase().as_str() {
        "django" | "default" => Ok(Preset::Django),
        "production" => Ok(Preset::Production),
        other => Err(format!(
            "unknown preset {other:?}: use django or production"
        )),
    }
}

fn parse_samesite(text: &str) -> std::result::Result<SameSiteSetting, String> {
    match text.to_ascii_lowercase().as_str() {
        "lax" => Ok(SameSiteSetting(Some(SameSite::Lax))),
        "strict" => Ok(SameSiteSetting(Some(SameSite::Strict))),
        "none" => Ok(SameSiteSetting(Some(SameSite::None))),
        "false" => Ok(SameSiteSetting(None)),
        other => Err(format!(
            "{other:?} is not a SameSite value: use Lax, Strict, None, or False for no attribute"
        )),
    }
}

impl EngineKind {
    /// The `SESSION_ENGINE` value that names this engine (also the `engine` label of its
    /// metrics).
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

    /// Session settings from this configuration: the preset, then every setting given.
    ///
    /// # Errors
    /// [`session_core::Error::Configuration`] for an empty `SECRET_KEY`, an unwritable
    /// development key file, or settings [`SessionSettings::validate`] refuses (under the
    /// production preset, a `SESSION_COOKIE_DOMAIN`, say).
    pub fn settings(&self) -> Result<SessionSettings> {
        let secrets = secret::resolve(self.secret_key.as_deref(), &self.secret_key_fallbacks)?;
        let mut settings = match self.preset {
            Preset::Django => SessionSettings::with_secrets(secrets),
            Preset::Production => SessionSettings::production(secrets),
        };
        settings.cookie_age = self.cookie_age;
        settings.expire_at_browser_close = self.expire_at_browser_close;
        settings.save_every_request = self.save_every_request;
        if let Some(name) = &self.cookie_name {
            settings.cookie_name = name.clone();
        }
        if let Some(domain) = &self.cookie_domain {
            settings.cookie_domain = Some(domain.clone());
        }
        if let Some(path) = &self.cookie_path {
            settings.cookie_path = path.clone();
        }
        if let Some(secure) = self.cookie_secure {
            settings.cookie_secure = secure;
        }
        if let Some(httponly) = self.cookie_httponly {
            settings.cookie_httponly = httponly;
        }
        if let Some(SameSiteSetting(samesite)) = self.cookie_samesite {
            settings.cookie_samesite = samesite;
        }
        let timeouts = &mut settings.timeouts;
        if let Some(seconds) = self.expire_seconds {
            timeouts.expire_seconds = Some(seconds);
        }
        if let Some(after_activity) = self.expire_after_last_activity {
            timeouts.expire_after_last_activity = after_activity;
        }
        if let Some(grace) = self.expire_after_last_activity_grace_period {
            timeouts.grace_period = grace;
        }
        if let Some(seconds) = self.absolute_timeout {
            timeouts.absolute_timeout = Some(seconds);
        }
        if let Some(redirect) = &self.timeout_redirect {
            timeouts.redirect = Some(redirect.clone());
        }
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

    const STRONG: &str = "x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg";

    fn build(flags: &[&str]) -> Result<SessionSettings> {
        let args = ["demo", "--secret-key", STRONG].iter().chain(flags);
        Cli::try_parse_from(args).unwrap().config.settings()
    }

    #[test]
    fn djangos_defaults() {
        let settings = build(&[]).unwrap();
        assert_eq!(settings.cookie_name, "sessionid");
        assert_eq!(settings.cookie_domain, None);
        assert_eq!(settings.cookie_path, "/");
        assert!(!settings.cookie_secure);
        assert!(settings.cookie_httponly);
        assert_eq!(settings.cookie_samesite, Some(SameSite::Lax));
        assert!(!settings.timeouts.is_enabled());
        assert!(settings.timeouts.expire_after_last_activity);
        assert_eq!(settings.timeouts.grace_period, 1);
        assert!(!settings.require_strong_secret);
    }

    #[test]
    fn every_cookie_setting() {
        let settings = build(&[
            "--cookie-domain",
            ".example.com",
            "--cookie-path",
            "/app/",
            "--cookie-httponly",
            "false",
            "--cookie-samesite",
            "Strict",
        ])
        .unwrap();
        assert_eq!(settings.cookie_domain.as_deref(), Some(".example.com"));
        assert_eq!(settings.cookie_path, "/app/");
        assert!(!settings.cookie_httponly);
        assert_eq!(settings.cookie_samesite, Some(SameSite::Strict));
        for (text, expected) in [
            ("lax", Some(SameSite::Lax)),
            ("None", Some(SameSite::None)),
            ("False", None),
        ] {
            let settings = build(&["--cookie-samesite", text, "--cookie-secure", "true"]);
            assert_eq!(settings.unwrap().cookie_samesite, expected, "{text}");
        }
        assert!(Cli::try_parse_from(["demo", "--cookie-samesite", "sometimes"]).is_err());
        // Refused when the settings are built, not by the browser later.
        assert!(build(&["--cookie-samesite", "None"]).is_err());
        assert!(build(&["--cookie-path", "app"]).is_err());
    }

    #[test]
    fn every_timeout_setting() {
        let settings = build(&[
            "--expire-seconds",
            "20",
            "--expire-after-last-activity",
            "false",
            "--expire-after-last-activity-grace-period",
            "60",
            "--absolute-timeout",
            "3600",
            "--timeout-redirect",
            "/login/",
        ])
        .unwrap();
        let timeouts = &settings.timeouts;
        assert_eq!(timeouts.expire_seconds, Some(20));
        assert!(!timeouts.expire_after_last_activity);
        assert_eq!(timeouts.grace_period, 60);
        assert_eq!(timeouts.absolute_timeout, Some(3600));
        assert_eq!(timeouts.redirect.as_deref(), Some("/login/"));
        assert!(build(&["--expire-seconds", "0"]).is_err());
        assert!(Cli::try_parse_from(["demo", "--expire-seconds=-5"]).is_err());
    }

    #[test]
    fn production_preset() {
        let settings = build(&["--preset", "production"]).unwrap();
        assert_eq!(settings.cookie_name, "__Host-sessionid");
        assert!(settings.cookie_secure && settings.cookie_httponly);
        assert_eq!(settings.cookie_samesite, Some(SameSite::Lax));
        assert!(settings.timeouts.expire_seconds.is_some());
        assert!(settings.require_strong_secret);
        let err = build(&["--preset", "production", "--cookie-domain", "example.com"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("__Host-"), "{err}");
        // Overrides that keep the cookie valid are taken.
        let custom = build(&["--preset", "production", "--expire-seconds", "60"]).unwrap();
        assert_eq!(custom.timeouts.expire_seconds, Some(60));
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
