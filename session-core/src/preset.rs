//! [`SessionSettings::production`] and the check made when an application starts serving.

use crate::error::{Error, Result};
use crate::settings::{MIN_SECRET_LENGTH, SameSite, Secrets, SessionSettings};
use crate::timeouts::TimeoutSettings;

/// The production preset's cookie name: the `__Host-` prefix makes browsers refuse it
/// unless it is `Secure`, on `Path=/` and without `Domain` (no subdomain can set or read it).
pub const PRODUCTION_COOKIE_NAME: &str = "__Host-sessionid";
/// The production preset's idle timeout: 30 minutes (OWASP's session management cheat
/// sheet: 15 to 30 minutes for low-risk applications; NIST SP 800-63B-4 asks no more than
/// an hour at AAL2).
pub const PRODUCTION_IDLE_TIMEOUT: u64 = 30 * 60;
/// The production preset's absolute timeout: 24 hours (NIST SP 800-63B-4's AAL2
/// reauthentication limit).
pub const PRODUCTION_ABSOLUTE_TIMEOUT: u64 = 24 * 60 * 60;

impl SessionSettings {
    /// Settings for a site served over HTTPS: `Secure`, `HttpOnly`, `SameSite=Lax`, cookie
    /// name [`__Host-sessionid`](PRODUCTION_COOKIE_NAME), no `Domain`, `Path=/`, an idle
    /// timeout of 30 minutes refreshed on activity, an absolute timeout of 24 hours, and a
    /// weak `SECRET_KEY` refused when serving starts ([`startup_check`](Self::startup_check)).
    /// Any field can still be changed; [`validate`](Self::validate) then refuses what
    /// browsers would drop (a `Domain` with the `__Host-` name, say).
    ///
    /// ```
    /// use session_core::{SameSite, Secrets, SessionSettings};
    /// let mut settings = SessionSettings::production(Secrets::new("x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg")?);
    /// assert_eq!(settings.cookie_name, "__Host-sessionid");
    /// assert!(settings.cookie_secure && settings.cookie_httponly);
    /// assert_eq!(settings.cookie_samesite, Some(SameSite::Lax));
    /// settings.startup_check()?;
    /// settings.cookie_domain = Some("example.com".into());
    /// assert!(settings.validate().is_err());
    /// # Ok::<(), session_core::Error>(())
    /// ```
    pub fn production(secrets: Secrets) -> Self {
        let mut settings = SessionSettings::with_secrets(secrets);
        settings.cookie_name = PRODUCTION_COOKIE_NAME.to_owned();
        settings.cookie_secure = true;
        settings.cookie_httponly = true;
        settings.cookie_samesite = Some(SameSite::Lax);
        settings.cookie_domain = None;
        settings.cookie_path = "/".to_owned();
        settings.timeouts = TimeoutSettings {
            expire_seconds: Some(PRODUCTION_IDLE_TIMEOUT),
            absolute_timeout: Some(PRODUCTION_ABSOLUTE_TIMEOUT),
            ..TimeoutSettings::default()
        };
        settings.require_strong_secret = true;
        settings
    }

    /// What an application checks once, when it starts serving (`SessionLayer::new` calls
    /// it): [`validate`](Self::validate); a weak `SECRET_KEY` refused when
    /// [`require_strong_secret`](Self::require_strong_secret) is set, else logged as a
    /// warning; weak fallbacks only logged, never refused (they exist to read sessions
    /// signed before a rotation). Tools that only read sessions do not call it.
    ///
    /// # Errors
    /// [`Error::Configuration`] for invalid settings or a refused weak key.
    pub fn startup_check(&self) -> Result<()> {
        self.validate()?;
        if self.require_strong_secret {
            if let Some(why) = self.secrets().current().weakness() {
                return Err(Error::config(format!(
                    "SECRET_KEY is too weak for production: {why}; use at least {MIN_SECRET_LENGTH} random characters"
                )));
            }
        }
        self.secrets().warn_if_weak();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRONG: &str = "x7#kP2!vQ9zL4mR8@tW1sY6^bN3cF5hJ0dG-aE_uI+oXqMrZlKjHg";

    #[test]
    fn production_is_valid_and_strict() {
        let settings = SessionSettings::production(Secrets::new(STRONG).unwrap());
        settings.startup_check().unwrap();
        assert_eq!(settings.cookie_path, "/");
        assert_eq!(settings.cookie_domain, None);
        assert_eq!(
            settings.timeouts.expire_seconds,
            Some(PRODUCTION_IDLE_TIMEOUT)
        );
        assert!(settings.timeouts.expire_after_last_activity);
        for change in [
            |s: &mut SessionSettings| s.cookie_domain = Some("example.com".into()),
            |s: &mut SessionSettings| s.cookie_secure = false,
            |s: &mut SessionSettings| s.cookie_path = "/app/".into(),
        ] {
            let mut changed = settings.clone();
            change(&mut changed);
            assert!(changed.startup_check().is_err(), "{changed:?}");
        }
    }

    #[test]
    fn weak_current_key_refused_only_when_required() {
        let weak = Secrets::new("change-me").unwrap();
        let err = SessionSettings::production(weak.clone())
            .startup_check()
            .unwrap_err();
        assert!(err.to_string().contains("too weak"), "{err}");
        assert!(!err.to_string().contains("change-me"), "{err}");
        SessionSettings::with_secrets(weak).startup_check().unwrap();
        let weak_fallback = Secrets::new(STRONG)
            .unwrap()
            .with_fallbacks(["old-short-key"])
            .unwrap();
        SessionSettings::production(weak_fallback)
            .startup_check()
            .unwrap();
    }
}
