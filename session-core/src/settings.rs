//! Settings, with Django's names and defaults.

use std::fmt;

use crate::error::{Error, Result};
use crate::expiry;
use crate::timeouts::TimeoutSettings;

/// `SESSION_COOKIE_AGE` default: two weeks, in seconds.
pub const DEFAULT_COOKIE_AGE: i64 = 1_209_600;
/// `SESSION_COOKIE_NAME` default.
pub const DEFAULT_COOKIE_NAME: &str = "sessionid";

/// A secret used to sign session data. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret; an empty one is a configuration error.
    pub fn new(secret: impl Into<String>) -> Result<Self> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(Error::config("the secret key must not be empty"));
        }
        Ok(SecretKey(secret))
    }

    /// The secret's bytes, for key derivation.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Why Django's security check W009 would call this key weak: shorter than 50
    /// characters, fewer than 5 distinct characters, or Django's `django-insecure` default.
    /// `None` for a strong key. A weak key still works, for reading and for signing.
    ///
    /// ```
    /// use session_core::SecretKey;
    /// assert!(SecretKey::new("change-me")?.weakness().is_some());
    /// assert!(SecretKey::new("x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg")?.weakness().is_none());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn weakness(&self) -> Option<String> {
        let key = &self.0;
        let length = key.chars().count();
        let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
        if key.starts_with("django-insecure") {
            Some("it starts with \"django-insecure\", Django's generated development key".into())
        } else if length < MIN_SECRET_LENGTH {
            Some(format!(
                "it has {length} characters, fewer than {MIN_SECRET_LENGTH}"
            ))
        } else if distinct < MIN_SECRET_DISTINCT {
            Some(format!(
                "it has {distinct} distinct characters, fewer than {MIN_SECRET_DISTINCT}"
            ))
        } else {
            None
        }
    }
}

/// Django's W009 minimum length of a `SECRET_KEY`, in characters.
pub const MIN_SECRET_LENGTH: usize = 50;
/// Django's W009 minimum number of distinct characters in a `SECRET_KEY`.
pub const MIN_SECRET_DISTINCT: usize = 5;

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// `SECRET_KEY` plus `SECRET_KEY_FALLBACKS`: values are signed with the current key and
/// verified against it and then each fallback, so keys can be rotated without logging
/// everybody out.
///
/// ```
/// use session_core::Secrets;
/// let secrets = Secrets::new("new-secret")?.with_fallbacks(["old-secret"])?;
/// assert_eq!(secrets.fallbacks().len(), 1);
/// assert!(Secrets::new("").is_err());
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secrets {
    current: SecretKey,
    fallbacks: Vec<SecretKey>,
}

impl Secrets {
    /// The current secret, no fallbacks.
    pub fn new(secret_key: impl Into<String>) -> Result<Self> {
        Ok(Secrets {
            current: SecretKey::new(secret_key)?,
            fallbacks: Vec::new(),
        })
    }

    /// Adds fallback secrets (oldest rotation last, as in Django's list).
    pub fn with_fallbacks<I, S>(mut self, fallbacks: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fallbacks = fallbacks
            .into_iter()
            .map(SecretKey::new)
            .collect::<Result<_>>()?;
        Ok(self)
    }

    /// The key new signatures are made with.
    pub fn current(&self) -> &SecretKey {
        &self.current
    }

    /// Keys still accepted when verifying.
    pub fn fallbacks(&self) -> &[SecretKey] {
        &self.fallbacks
    }

    /// The current key followed by the fallbacks: the verification order.
    pub fn all(&self) -> impl Iterator<Item = &SecretKey> {
        std::iter::once(&self.current).chain(&self.fallbacks)
    }

    /// Logs a warning on `session_core::security` for each weak key (Django's checks W009
    /// for `SECRET_KEY` and W025 for `SECRET_KEY_FALLBACKS`; see
    /// [`SecretKey::weakness`]) and returns how many there were. Nothing is refused.
    ///
    /// `SessionLayer::new` calls it, once when the application starts, as Django runs its
    /// checks at startup. Settings objects are made in many other places (tools, tests,
    /// every engine), where a warning would repeat or mean nothing. Refusing a weak key
    /// under a production preset is left to the preset, a later change.
    pub fn warn_if_weak(&self) -> usize {
        let named = std::iter::once(("SECRET_KEY".to_owned(), &self.current)).chain(
            self.fallbacks
                .iter()
                .enumerate()
                .map(|(i, key)| (format!("SECRET_KEY_FALLBACKS[{i}]"), key)),
        );
        let mut weak = 0;
        for (name, key) in named {
            if let Some(why) = key.weakness() {
                weak += 1;
                tracing::warn!(
                    target: "session_core::security",
                    "{name} is weak: {why}. Anyone who guesses it can forge sessions; use at least {MIN_SECRET_LENGTH} random characters"
                );
            }
        }
        weak
    }
}

/// The cookie's `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Lax` (Django's default).
    Lax,
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=None` (browsers then require `Secure`).
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

/// Session settings with Django's names (`SESSION_COOKIE_AGE` is `cookie_age`, and so on)
/// and Django's defaults.
///
/// ```
/// use session_core::{SameSite, SessionSettings};
/// let mut settings = SessionSettings::new("change-me")?;
/// assert_eq!(settings.cookie_name, "sessionid");
/// assert_eq!(settings.cookie_age, 1_209_600);
/// assert_eq!(settings.cookie_samesite, Some(SameSite::Lax));
/// settings.cookie_secure = true;
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionSettings {
    /// `SESSION_COOKIE_NAME`: `"sessionid"`.
    pub cookie_name: String,
    /// `SESSION_COOKIE_AGE` in seconds: two weeks.
    pub cookie_age: i64,
    /// `SESSION_COOKIE_DOMAIN`: none.
    pub cookie_domain: Option<String>,
    /// `SESSION_COOKIE_PATH`: `"/"`.
    pub cookie_path: String,
    /// `SESSION_COOKIE_SECURE`: false.
    pub cookie_secure: bool,
    /// `SESSION_COOKIE_HTTPONLY`: true.
    pub cookie_httponly: bool,
    /// `SESSION_COOKIE_SAMESITE`: `Lax`; `None` here is Django's `False` (no attribute).
    pub cookie_samesite: Option<SameSite>,
    /// `SESSION_EXPIRE_AT_BROWSER_CLOSE`: false.
    pub expire_at_browser_close: bool,
    /// `SESSION_SAVE_EVERY_REQUEST`: false.
    pub save_every_request: bool,
    /// Idle and absolute timeouts (`SESSION_EXPIRE_SECONDS` and the rest): off.
    pub timeouts: TimeoutSettings,
    /// Refuse to serve (in `SessionLayer::new`) with a weak `SECRET_KEY`; false (a warning
    /// only). [`SessionSettings::production`] sets it.
    pub require_strong_secret: bool,
    secrets: Secrets,
}

impl SessionSettings {
    /// Django's defaults with the given `SECRET_KEY` (an empty one is an error).
    pub fn new(secret_key: impl Into<String>) -> Result<Self> {
        Ok(Self::with_secrets(Secrets::new(secret_key)?))
    }

    /// Django's defaults with a current key and fallbacks.
    pub fn with_secrets(secrets: Secrets) -> Self {
        SessionSettings {
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            cookie_age: DEFAULT_COOKIE_AGE,
            cookie_domain: None,
            cookie_path: "/".to_owned(),
            cookie_secure: false,
            cookie_httponly: true,
            cookie_samesite: Some(SameSite::Lax),
            expire_at_browser_close: false,
            save_every_request: false,
            timeouts: TimeoutSettings::default(),
            require_strong_secret: false,
            secrets,
        }
    }

    /// `SECRET_KEY` and `SECRET_KEY_FALLBACKS`.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Replaces the secrets.
    pub fn set_secrets(&mut self, secrets: Secrets) {
        self.secrets = secrets;
    }

    /// Checks the settings before anything relies on them: a cookie browsers accept and
    /// send back (RFC 6265 token name; no `;`, `,`, space or control character in
    /// `Domain` or `Path`; the `__Secure-`/`__Host-` prefix rules; `SameSite=None` only with
    /// `Secure`), and a cookie age that gives a date. `SessionLayer::new` and the engines
    /// call it.
    ///
    /// ```
    /// use session_core::{SameSite, SessionSettings};
    /// let mut settings = SessionSettings::new("change-me")?;
    /// settings.cookie_samesite = Some(SameSite::None);
    /// assert!(settings.validate().is_err());
    /// settings.cookie_secure = true;
    /// assert!(settings.validate().is_ok());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        let name = &self.cookie_name;
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !name_ok {
            return Err(Error::config(format!(
                "SESSION_COOKIE_NAME {name:?} is not a cookie token (RFC 6265: visible ASCII, no separators such as / ; , = or spaces)"
            )));
        }
        if !self.cookie_path.starts_with('/') || !attribute_value_ok(&self.cookie_path) {
            return Err(Error::config(format!(
                "SESSION_COOKIE_PATH {:?} must start with '/' and hold no ';', ',', space or control character",
                self.cookie_path
            )));
        }
        if let Some(domain) = &self.cookie_domain {
            if domain.is_empty() || !attribute_value_ok(domain) {
                return Err(Error::config(format!(
                    "SESSION_COOKIE_DOMAIN {domain:?} must be a non-empty domain with no ';', ',', space or control character"
                )));
            }
        }
        if self.cookie_samesite == Some(SameSite::None) && !self.cookie_secure {
            return Err(Error::config(
                "SESSION_COOKIE_SAMESITE = None needs SESSION_COOKIE_SECURE: browsers drop a SameSite=None cookie that is not Secure",
            ));
        }
        let has_prefix = |prefix: &str| {
            name.get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        };
        if has_prefix("__Secure-") && !self.cookie_secure {
            return Err(Error::config(format!(
                "a cookie named {name:?} (__Secure- prefix) needs SESSION_COOKIE_SECURE, or browsers refuse it"
            )));
        }
        if has_prefix("__Host-")
            && (!self.cookie_secure || self.cookie_path != "/" || self.cookie_domain.is_some())
        {
            return Err(Error::config(format!(
                "a cookie named {name:?} (__Host- prefix) needs SESSION_COOKIE_SECURE, SESSION_COOKIE_PATH = \"/\" and no SESSION_COOKIE_DOMAIN, or browsers refuse it"
            )));
        }
        if self.cookie_age < 0
            || expiry::checked_add_seconds(chrono::Utc::now(), self.cookie_age).is_none()
        {
            return Err(Error::config(format!(
                "cookie age {} is not a number of seconds from 0 to the end of year 9999",
                self.cookie_age
            )));
        }
        self.timeouts.validate()
    }
}

/// A `Domain` or `Path` value that cannot end the attribute early or break the header:
/// visible ASCII without `;` or `,`.
fn attribute_value_ok(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(change: impl FnOnce(&mut SessionSettings)) -> Result<()> {
        let mut settings = SessionSettings::new("secret").unwrap();
        change(&mut settings);
        settings.validate()
    }

    fn refused(what: &str, change: impl FnOnce(&mut SessionSettings)) {
        match check(change) {
            Err(Error::Configuration(_)) => {}
            other => panic!("{what}: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid() {
        check(|_| {}).unwrap();
    }

    #[test]
    fn samesite_none_needs_secure() {
        refused("SameSite=None", |s| {
            s.cookie_samesite = Some(SameSite::None)
        });
        check(|s| {
            s.cookie_samesite = Some(SameSite::None);
            s.cookie_secure = true;
        })
        .unwrap();
    }

    #[test]
    fn secure_prefix_needs_secure() {
        for name in ["__Secure-sessionid", "__secure-sessionid"] {
            refused(name, |s| s.cookie_name = name.into());
        }
        check(|s| {
            s.cookie_name = "__Secure-sessionid".into();
            s.cookie_secure = true;
            s.cookie_domain = Some(".example.com".into());
            s.cookie_path = "/app/".into();
        })
        .unwrap();
    }

    #[test]
    fn host_prefix_needs_secure_root_path_and_no_domain() {
        let host = |s: &mut SessionSettings| {
            s.cookie_name = "__Host-sessionid".into();
            s.cookie_secure = true;
        };
        check(host).unwrap();
        refused("not secure", |s| {
            host(s);
            s.cookie_secure = false;
        });
        refused("a path", |s| {
            host(s);
            s.cookie_path = "/app/".into();
        });
        refused("a domain", |s| {
            host(s);
            s.cookie_domain = Some("example.com".into());
        });
        refused("lower case", |s| {
            host(s);
            s.cookie_name = "__host-sessionid".into();
            s.cookie_secure = false;
        });
    }

    #[test]
    fn names_are_tokens() {
        for name in [
            "", "a/b", "a b", "a;b", "a,b", "a=b", "a\tb", "a\nb", "sessión", "a\"b", "(a)",
        ] {
            refused(name, |s| s.cookie_name = name.into());
        }
        for name in ["sessionid", "my-session_id.v2", "__Secure", "a!#$%&'*+^`|~"] {
            check(|s| s.cookie_name = name.into()).unwrap();
        }
    }

    #[test]
    fn domain_and_path_cannot_break_the_header() {
        for bad in ["a;b", "a,b", "a b", "a\r\nSet-Cookie: x=y", "a\u{7f}", "é"] {
            refused(bad, |s| s.cookie_domain = Some(bad.into()));
            refused(bad, |s| s.cookie_path = format!("/{bad}"));
        }
        refused("empty domain", |s| s.cookie_domain = Some(String::new()));
        refused("relative path", |s| s.cookie_path = "app".into());
        check(|s| {
            s.cookie_domain = Some(".example.com".into());
            s.cookie_path = "/app/x-y_z.~%20/".into();
        })
        .unwrap();
    }

    #[test]
    fn weak_keys_are_djangos_w009() {
        let strong = "x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg";
        assert_eq!(strong.len(), 53);
        assert_eq!(SecretKey::new(strong).unwrap().weakness(), None);
        for weak in [
            "change-me",
            &strong[..49],
            &"ab".repeat(40),
            "abcd".repeat(20).as_str(),
            "django-insecure-x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXq",
        ] {
            assert!(SecretKey::new(weak).unwrap().weakness().is_some(), "{weak}");
        }
        // Characters, not bytes, as in Python.
        let accented = "é".repeat(25) + "abcd";
        assert!(accented.len() >= 50);
        assert!(SecretKey::new(accented).unwrap().weakness().is_some());
        let five = "abcde".repeat(10);
        assert_eq!(SecretKey::new(five).unwrap().weakness(), None);
    }

    #[test]
    fn cookie_age_must_give_a_date() {
        for age in [0, 1, DEFAULT_COOKIE_AGE, 100 * 365 * 86_400] {
            check(|s| s.cookie_age = age).unwrap();
        }
        for age in [-1, i64::MIN, i64::MAX, 9_000_000_000_000] {
            refused(&age.to_string(), |s| s.cookie_age = age);
        }
    }
}
