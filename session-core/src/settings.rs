//! Settings, with Django's names and defaults.

use std::fmt;

use crate::error::{Error, Result};
use crate::expiry;

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
}

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

    /// Checks the values a store relies on: a usable cookie name and path.
    pub fn validate(&self) -> Result<()> {
        let name_ok = !self.cookie_name.is_empty()
            && self
                .cookie_name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !name_ok {
            return Err(Error::config(format!(
                "cookie name {:?} is not a valid cookie token",
                self.cookie_name
            )));
        }
        if !self.cookie_path.starts_with('/') {
            return Err(Error::config("cookie path must start with '/'"));
        }
        if self.cookie_age < 0
            || expiry::checked_add_seconds(chrono::Utc::now(), self.cookie_age).is_none()
        {
            return Err(Error::config(format!(
                "cookie age {} is not a number of seconds from 0 to the end of year 9999",
                self.cookie_age
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(change: impl FnOnce(&mut SessionSettings)) -> SessionSettings {
        let mut settings = SessionSettings::new("secret").unwrap();
        change(&mut settings);
        settings
    }

    #[test]
    fn cookie_age_must_give_a_date() {
        for age in [0, 1, DEFAULT_COOKIE_AGE, 100 * 365 * 86_400] {
            assert!(settings(|s| s.cookie_age = age).validate().is_ok(), "{age}");
        }
        for age in [-1, i64::MIN, i64::MAX, 9_000_000_000_000] {
            let err = settings(|s| s.cookie_age = age).validate().unwrap_err();
            assert!(matches!(err, Error::Configuration(_)), "{age}: {err:?}");
        }
    }
}
