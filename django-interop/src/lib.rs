//! # django-interop
//!
//! A test helper: a real Django 5.2 reading and writing sessions, so the Rust engines can
//! prove in both directions that they share data with Django. It runs
//! `testdata/interop/django_peer.py` (Django configured in-process, one command per call)
//! with the Python named by `DJANGO_PYTHON`, which `eval "$(scripts/django-venv)"` exports.
//!
//! ```no_run
//! use django_interop::{DjangoPeer, Engine};
//!
//! let Some(django) = DjangoPeer::get() else { return }; // prints "skipped"
//! let django = django.secret_key("s3cret");
//! let data = serde_json::json!({"cart": [1, 2]}).as_object().unwrap().clone();
//! let cookie = django.write(&Engine::SignedCookies, &data);
//! assert_eq!(django.read(&Engine::SignedCookies, &cookie), Some(data));
//! ```
//!
//! Without `DJANGO_PYTHON`, [`DjangoPeer::get`] prints "skipped" and returns `None`, unless
//! `SESSIONS_TEST_REQUIRE_SERVICES=1` (set by `scripts/test`), where it panics: under CI a
//! missing Django is a failure. A failing Django call panics with Django's error output;
//! this crate is for tests only.

pub mod vectors;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

/// Session data as Django sees it: a JSON object in insertion order.
pub type SessionData = Map<String, Value>;

/// Data that exercises what must survive a trip through Django: unicode, escapes, nesting,
/// floats, big integers, and a custom `_session_expiry`.
pub fn tricky_data() -> SessionData {
    let value = serde_json::json!({
        "cart": [{"sku": "A-1", "qty": 2}],
        "name": "zoë ☃ 😀 \"quoted\" \\ /",
        "nested": {"a": [1.5, null, true, false], "big": 12345678901234u64},
        "_session_expiry": 600,
    });
    value.as_object().cloned().unwrap_or_default()
}

/// Session data whose compact JSON is exactly `bytes` long (at least 32): a user id and
/// a text filler. The filler is either words that deflate packs well (`compressible`) or
/// random characters of the URL-safe alphabet, which deflate at level 1 cannot shrink and
/// level 6 shrinks only by its Huffman coding. Deterministic for a given size and kind.
pub fn sized_data(bytes: usize, compressible: bool) -> SessionData {
    const FRAME: &str = r#"{"_auth_user_id":"42","blob":""}"#;
    const WORDS: [&str; 8] = [
        "session ", "cart ", "lorem ", "ipsum ", "django ", "rust ", "cookie ", "token ",
    ];
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert!(
        bytes >= FRAME.len(),
        "sized_data needs at least {} bytes, not {bytes}",
        FRAME.len()
    );
    let mut state = 0x9E37_79B9_7F4A_7C15 ^ bytes as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let len = bytes - FRAME.len();
    let mut filler = String::with_capacity(len + 8);
    while filler.len() < len {
        if compressible {
            filler.push_str(WORDS[(next() % 8) as usize]);
        } else {
            filler.push(char::from(ALPHABET[(next() % 64) as usize]));
        }
    }
    filler.truncate(len);
    let mut data = SessionData::new();
    data.insert("_auth_user_id".into(), Value::from("42"));
    data.insert("blob".into(), Value::from(filler));
    data
}

/// The environment variable naming the Python that has Django 5.2.
pub const PYTHON_VAR: &str = "DJANGO_PYTHON";

/// Where a Django session engine keeps its sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// `django.contrib.sessions.backends.file` with `SESSION_FILE_PATH` = this directory.
    File(PathBuf),
    /// `django.contrib.sessions.backends.signed_cookies`: the key is the cookie value.
    SignedCookies,
    /// `django.contrib.sessions.backends.db`.
    Db {
        /// `sqlite:///absolute/path.sqlite3` or `postgres://user@host:port/db`.
        url: String,
        /// PostgreSQL schema to work in (its `search_path`), if not the default.
        schema: Option<String>,
        /// Table instead of `django_session`.
        table: Option<String>,
    },
}

impl Engine {
    /// The db engine on Django's own `django_session` table in the URL's database.
    pub fn db(url: impl Into<String>) -> Self {
        Engine::Db {
            url: url.into(),
            schema: None,
            table: None,
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        match self {
            Engine::File(dir) => {
                args.extend(["--engine".into(), "file".into(), "--file-path".into()]);
                args.push(dir.display().to_string());
            }
            Engine::SignedCookies => {
                args.extend(["--engine".into(), "signed_cookies".into()]);
            }
            Engine::Db { url, schema, table } => {
                args.extend([
                    "--engine".into(),
                    "db".into(),
                    "--db-url".into(),
                    url.clone(),
                ]);
                if let Some(schema) = schema {
                    args.extend(["--db-schema".into(), schema.clone()]);
                }
                if let Some(table) = table {
                    args.extend(["--db-table".into(), table.clone()]);
                }
            }
        }
        args
    }
}

/// A handle on a real Django: settings plus the interpreter that runs it.
#[derive(Debug, Clone)]
pub struct DjangoPeer {
    python: PathBuf,
    script: PathBuf,
    secret_key: String,
    fallbacks: Vec<String>,
    cookie_name: String,
    cookie_age: i64,
    timeout_args: Vec<String>,
}

/// django-session-timeout's settings for [`DjangoPeer::request`]; `None` leaves the package's
/// default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerTimeouts {
    /// `SESSION_EXPIRE_SECONDS` (the package's default: `SESSION_COOKIE_AGE`).
    pub expire_seconds: Option<f64>,
    /// `SESSION_EXPIRE_AFTER_LAST_ACTIVITY` (the package's default: false).
    pub expire_after_last_activity: Option<bool>,
    /// `SESSION_EXPIRE_AFTER_LAST_ACTIVITY_GRACE_PERIOD` (default: 1).
    pub grace_period: Option<f64>,
    /// `SESSION_TIMEOUT_REDIRECT` (default: `LOGIN_URL` with `?next=`).
    pub redirect: Option<String>,
}

/// What Django answered to [`DjangoPeer::request`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct PeerResponse {
    /// The status code.
    pub status: u16,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The body (`Visit count:N` from the counting view).
    pub body: String,
    /// The session cookie set: a key, `""` when deleted; `None` when not set.
    pub cookie: Option<String>,
}

impl DjangoPeer {
    /// The peer when `DJANGO_PYTHON` is set. Otherwise prints "skipped" and returns `None`,
    /// or panics when `SESSIONS_TEST_REQUIRE_SERVICES=1`.
    pub fn get() -> Option<Self> {
        match std::env::var_os(PYTHON_VAR) {
            Some(python) if !python.is_empty() => Some(Self::with_python(python.into())),
            _ if std::env::var("SESSIONS_TEST_REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!(
                    "{PYTHON_VAR} is not set but SESSIONS_TEST_REQUIRE_SERVICES=1: run \
                     `eval \"$(scripts/django-venv)\"` first (scripts/test does)"
                )
            }
            _ => {
                eprintln!(
                    "skipped: {PYTHON_VAR} is not set (eval \"$(scripts/django-venv)\" to run the live Django tests)"
                );
                None
            }
        }
    }

    /// A peer running `python` (which must import Django 5.2), with Django's default cookie
    /// name and age and the secret `"django-interop-secret-key"`.
    pub fn with_python(python: PathBuf) -> Self {
        DjangoPeer {
            python,
            script: Self::script_path(),
            secret_key: "django-interop-secret-key".to_owned(),
            fallbacks: Vec::new(),
            cookie_name: "sessionid".to_owned(),
            cookie_age: 1_209_600,
            timeout_args: Vec::new(),
        }
    }

    /// django-session-timeout's settings for [`request`](Self::request).
    pub fn timeouts(mut self, timeouts: &PeerTimeouts) -> Self {
        let mut args = Vec::new();
        if let Some(seconds) = timeouts.expire_seconds {
            args.extend(["--expire-seconds".to_owned(), seconds.to_string()]);
        }
        if let Some(after) = timeouts.expire_after_last_activity {
            args.extend(["--expire-after-last-activity".to_owned(), after.to_string()]);
        }
        if let Some(grace) = timeouts.grace_period {
            args.extend(["--grace-period".to_owned(), grace.to_string()]);
        }
        if let Some(redirect) = &timeouts.redirect {
            args.extend(["--timeout-redirect".to_owned(), redirect.clone()]);
        }
        self.timeout_args = args;
        self
    }

    /// One GET through Django's `SessionMiddleware` and django-session-timeout's
    /// `SessionTimeoutMiddleware` to a view that counts visits under `"visit"`, with the
    /// session cookie `key` (or none).
    pub fn request(&self, engine: &Engine, key: Option<&str>) -> PeerResponse {
        let out = self.expect(engine, &["request", key.unwrap_or("-")]);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("django_peer request printed {out:?}: {e}"))
    }

    /// `testdata/interop/django_peer.py` in this repository.
    pub fn script_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/interop/django_peer.py")
    }

    /// `SECRET_KEY`.
    pub fn secret_key(mut self, secret: impl Into<String>) -> Self {
        self.secret_key = secret.into();
        self
    }

    /// `SECRET_KEY_FALLBACKS`.
    pub fn fallbacks<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fallbacks: I) -> Self {
        self.fallbacks = fallbacks.into_iter().map(Into::into).collect();
        self
    }

    /// `SESSION_COOKIE_NAME` (the file engine's file-name prefix).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// `SESSION_COOKIE_AGE` in seconds.
    pub fn cookie_age(mut self, seconds: i64) -> Self {
        self.cookie_age = seconds;
        self
    }

    /// The data Django sees under `key`, or `None` when Django sees no session there
    /// (missing, expired, tampered or invalid).
    pub fn read(&self, engine: &Engine, key: &str) -> Option<SessionData> {
        let out = self.expect(engine, &["read", key]);
        match serde_json::from_str(&out) {
            Ok(Value::Null) => None,
            Ok(Value::Object(data)) => Some(data),
            other => panic!("django_peer read printed {out:?}: {other:?}"),
        }
    }

    /// Has Django create a session holding `data`; returns its key (for signed cookies,
    /// the cookie value).
    pub fn write(&self, engine: &Engine, data: &SessionData) -> String {
        let json = serde_json::to_string(data).expect("JSON data serializes");
        self.expect(engine, &["write", &json])
    }

    /// Creates the db engine's table as Django's migration would.
    pub fn migrate(&self, engine: &Engine) {
        self.expect(engine, &["migrate"]);
    }

    /// Runs one peer command; `Err` holds Django's error output.
    pub fn run(&self, engine: &Engine, command: &[&str]) -> Result<String, String> {
        let output = Command::new(&self.python)
            .arg(&self.script)
            .args(["--secret-key", &self.secret_key])
            .args(self.fallbacks.iter().flat_map(|f| ["--fallback", f]))
            .args(["--cookie-name", &self.cookie_name])
            .args(["--cookie-age", &self.cookie_age.to_string()])
            .args(&self.timeout_args)
            .args(engine.args())
            .args(command)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout)
                .trim_end()
                .to_owned())
        } else {
            Err(format!(
                "django_peer {} failed ({}): {}",
                command.first().unwrap_or(&""),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    fn expect(&self, engine: &Engine, command: &[&str]) -> String {
        self.run(engine, command).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_arguments_name_every_option() {
        let db = Engine::Db {
            url: "postgres://p@h/db".into(),
            schema: Some("s1".into()),
            table: Some("t1".into()),
        };
        assert_eq!(
            db.args(),
            [
                "--engine",
                "db",
                "--db-url",
                "postgres://p@h/db",
                "--db-schema",
                "s1",
                "--db-table",
                "t1"
            ]
        );
        assert_eq!(
            Engine::File("/x".into()).args(),
            ["--engine", "file", "--file-path", "/x"]
        );
    }

    #[test]
    fn sized_data_has_the_asked_json_length() {
        for bytes in [32, 50, 2048, 16384] {
            for compressible in [true, false] {
                let json = serde_json::to_string(&sized_data(bytes, compressible)).unwrap();
                assert_eq!(json.len(), bytes, "{compressible}");
            }
        }
        assert_ne!(sized_data(2048, true), sized_data(2048, false));
    }

    #[test]
    fn the_script_ships_with_the_repository() {
        assert!(DjangoPeer::script_path().is_file());
    }

    #[test]
    fn signed_cookie_round_trip_through_django() {
        let Some(django) = DjangoPeer::get() else {
            return;
        };
        let django = django.secret_key("interop-self-test");
        let data = serde_json::json!({"a": 1, "é": [true, null]})
            .as_object()
            .unwrap()
            .clone();
        let cookie = django.write(&Engine::SignedCookies, &data);
        assert_eq!(django.read(&Engine::SignedCookies, &cookie), Some(data));
        let other = django.clone().secret_key("another-secret");
        assert_eq!(other.read(&Engine::SignedCookies, &cookie), None);
    }
}
