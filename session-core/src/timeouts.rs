//! Idle and absolute session timeouts, compatible with the `django-session-timeout`
//! package, so a Django site running its `SessionTimeoutMiddleware` and a Rust application
//! sharing its sessions agree on when a session has timed out.
//!
//! What the session data holds:
//! - [`IDLE_KEY`] (`_session_init_timestamp_`, the package's key): seconds since the epoch,
//!   a float, as Python's `time.time()`. The idle timeout ([`TimeoutSettings::expire_seconds`],
//!   `SESSION_EXPIRE_SECONDS`) counts from it. With `SESSION_EXPIRE_AFTER_LAST_ACTIVITY` it is
//!   moved to "now" on activity, but only once it is older than the grace period (one write
//!   a second at most, not one per request of a burst).
//! - [`ABSOLUTE_KEY`] (`_session_start_timestamp_`, beyond the package): when the session was
//!   created or last had its key cycled. The absolute timeout (`SESSION_ABSOLUTE_TIMEOUT`,
//!   NIST SP 800-63B's reauthentication limit) counts from it whatever the activity.
//!
//! A session has timed out when `now - timestamp > timeout` (strictly, as the package).
//! Both timestamps restart on [`Session::cycle_key`] (after a login). A session that is not
//! empty and lacks a timestamp gets one, "now", on first sight.
//!
//! Where this departs from the package, on purpose:
//! - nothing is enforced unless `SESSION_EXPIRE_SECONDS` or `SESSION_ABSOLUTE_TIMEOUT` is set
//!   (the package defaults to `SESSION_COOKIE_AGE` once installed);
//! - `SESSION_EXPIRE_AFTER_LAST_ACTIVITY` defaults to true here (the package: false; set it
//!   explicitly on both sides when sharing sessions);
//! - a new session is stamped when it is first saved, not on its second request, so its
//!   timeouts count from its creation;
//! - a stale cookie (an unknown or expired key) is never turned into a new session holding
//!   only a timestamp;
//! - a timed-out request without `SESSION_TIMEOUT_REDIRECT` carries on with a fresh, empty
//!   session (the package redirects to `LOGIN_URL`, which a Rust app may not have);
//! - a timestamp that is not a number (written by something else) counts as timed out.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::SessionData;
use crate::error::{Error, Result};
use crate::session::Session;

/// The idle timestamp's data key, the `django-session-timeout` package's `SESSION_TIMEOUT_KEY`.
pub const IDLE_KEY: &str = "_session_init_timestamp_";
/// The absolute timeout's data key: when the session started (creation or `cycle_key`).
pub const ABSOLUTE_KEY: &str = "_session_start_timestamp_";
/// `SESSION_EXPIRE_AFTER_LAST_ACTIVITY_GRACE_PERIOD` default, in seconds.
pub const DEFAULT_GRACE_PERIOD: u64 = 1;

/// The timeout settings, with the package's names; all off by default.
///
/// ```
/// use session_core::SessionSettings;
/// let mut settings = SessionSettings::new("change-me")?;
/// assert!(!settings.timeouts.is_enabled());
/// settings.timeouts.expire_seconds = Some(20); // SESSION_EXPIRE_SECONDS = 20
/// settings.timeouts.redirect = Some("/login/".into());
/// settings.validate()?;
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimeoutSettings {
    /// `SESSION_EXPIRE_SECONDS`: the idle timeout, in seconds; `None`: off.
    pub expire_seconds: Option<u64>,
    /// `SESSION_EXPIRE_AFTER_LAST_ACTIVITY`: true (counts from the last activity); false:
    /// from the session's first sight, whatever the activity.
    pub expire_after_last_activity: bool,
    /// `SESSION_EXPIRE_AFTER_LAST_ACTIVITY_GRACE_PERIOD`: 1 second; activity refreshes the
    /// idle timestamp only once it is older than this.
    pub grace_period: u64,
    /// `SESSION_ABSOLUTE_TIMEOUT`: seconds from creation or `cycle_key`; `None`: off.
    pub absolute_timeout: Option<u64>,
    /// `SESSION_TIMEOUT_REDIRECT`: where a timed-out request is redirected (302); `None`:
    /// the request carries on with a fresh, empty session.
    pub redirect: Option<String>,
}

impl Default for TimeoutSettings {
    fn default() -> Self {
        TimeoutSettings {
            expire_seconds: None,
            expire_after_last_activity: true,
            grace_period: DEFAULT_GRACE_PERIOD,
            absolute_timeout: None,
            redirect: None,
        }
    }
}

/// Which timeout ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimedOut {
    /// Idle for longer than `SESSION_EXPIRE_SECONDS` (or, without
    /// `SESSION_EXPIRE_AFTER_LAST_ACTIVITY`, older than it).
    Idle,
    /// Older than `SESSION_ABSOLUTE_TIMEOUT`.
    Absolute,
}

/// What [`TimeoutSettings::check`] decided for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The session has timed out: flush it.
    TimedOut(TimedOut),
    /// The session lives on; write these timestamps (none: nothing to write).
    Alive(Vec<(&'static str, Value)>),
}

/// Seconds left before each timeout ([`TimeoutSettings::remaining`]); `None` where that
/// timeout is off or the session has no timestamp yet. Zero or less: timed out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Remaining {
    /// Before the idle timeout.
    pub idle: Option<f64>,
    /// Before the absolute timeout.
    pub absolute: Option<f64>,
}

/// Seconds since the epoch, as `time.time()` gives them.
pub fn timestamp(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}

impl TimeoutSettings {
    /// True when at least one timeout is configured.
    pub fn is_enabled(&self) -> bool {
        self.expire_seconds.is_some() || self.absolute_timeout.is_some()
    }

    /// The configured timeouts, each with its data key.
    fn timeouts(&self) -> impl Iterator<Item = (TimedOut, &'static str, u64)> {
        let idle = self.expire_seconds.map(|s| (TimedOut::Idle, IDLE_KEY, s));
        let absolute = self
            .absolute_timeout
            .map(|s| (TimedOut::Absolute, ABSOLUTE_KEY, s));
        idle.into_iter().chain(absolute)
    }

    /// The decision for a request at `now` on a session holding `data`: timed out, or alive
    /// with the timestamps to write (first sight; the idle one refreshed on activity). An
    /// empty session has no timeouts.
    ///
    /// ```
    /// use chrono::{TimeDelta, Utc};
    /// use session_core::timeouts::{IDLE_KEY, TimedOut, TimeoutSettings, Verdict, timestamp};
    /// let mut timeouts = TimeoutSettings::default();
    /// timeouts.expire_seconds = Some(20);
    /// let now = Utc::now();
    /// let mut data = session_core::SessionData::new();
    /// data.insert(IDLE_KEY.into(), timestamp(now - TimeDelta::seconds(21)).into());
    /// assert_eq!(timeouts.check(&data, now), Verdict::TimedOut(TimedOut::Idle));
    /// data.insert(IDLE_KEY.into(), timestamp(now - TimeDelta::seconds(5)).into());
    /// assert_eq!(timeouts.check(&data, now), Verdict::Alive(vec![(IDLE_KEY, timestamp(now).into())]));
    /// ```
    pub fn check(&self, data: &SessionData, now: DateTime<Utc>) -> Verdict {
        let mut writes = Vec::new();
        if data.is_empty() {
            return Verdict::Alive(writes);
        }
        let now_ts = timestamp(now);
        for (which, key, limit) in self.timeouts() {
            let Some(value) = data.get(key) else {
                writes.push((key, Value::from(now_ts)));
                continue;
            };
            let Some(since) = value.as_f64() else {
                return Verdict::TimedOut(which);
            };
            let elapsed = now_ts - since;
            if elapsed > limit as f64 {
                return Verdict::TimedOut(which);
            }
            if which == TimedOut::Idle
                && self.expire_after_last_activity
                && elapsed > self.grace_period as f64
            {
                writes.push((key, Value::from(now_ts)));
            }
        }
        Verdict::Alive(writes)
    }

    /// The timestamps of a session that starts at `now` (created, or its key cycled): every
    /// configured timeout counts from here.
    pub fn restart(&self, now: DateTime<Utc>) -> Vec<(&'static str, Value)> {
        let now = Value::from(timestamp(now));
        self.timeouts()
            .map(|(_, key, _)| (key, now.clone()))
            .collect()
    }

    /// Seconds left before each timeout, for display.
    pub fn remaining(&self, data: &SessionData, now: DateTime<Utc>) -> Remaining {
        let now = timestamp(now);
        let left = |key: &str, limit: Option<u64>| {
            let since = data.get(key)?.as_f64()?;
            Some(limit? as f64 - (now - since))
        };
        Remaining {
            idle: left(IDLE_KEY, self.expire_seconds),
            absolute: left(ABSOLUTE_KEY, self.absolute_timeout),
        }
    }

    /// Checks the settings: timeouts of at least one second, a redirect that is a path or
    /// URL of visible ASCII (it becomes a `Location` header).
    ///
    /// # Errors
    /// [`Error::Configuration`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("SESSION_EXPIRE_SECONDS", self.expire_seconds),
            ("SESSION_ABSOLUTE_TIMEOUT", self.absolute_timeout),
        ] {
            if value == Some(0) {
                return Err(Error::config(format!(
                    "{name} = 0 would end every session at once: leave it unset to turn the timeout off"
                )));
            }
        }
        if let Some(redirect) = &self.redirect {
            if redirect.is_empty() || !redirect.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Error::config(format!(
                    "SESSION_TIMEOUT_REDIRECT {redirect:?} must be a non-empty URL of visible ASCII (percent-encode the rest)"
                )));
            }
        }
        Ok(())
    }

    /// Applies the timeouts to an incoming session, before the handler runs: loads it, then
    /// flushes it if it has timed out, or writes the timestamps it needs. What the middleware
    /// calls on each request that carries a session cookie.
    ///
    /// # Errors
    /// [`Error::Backend`] if the store fails loading or flushing the session.
    pub async fn enforce(&self, session: &Session, now: DateTime<Utc>) -> Result<Option<TimedOut>> {
        if !self.is_enabled() {
            return Ok(None);
        }
        let data = session.data().await?;
        match self.check(&data, now) {
            Verdict::TimedOut(which) => {
                session.flush().await?;
                Ok(Some(which))
            }
            Verdict::Alive(writes) if writes.is_empty() => Ok(None),
            Verdict::Alive(writes) => {
                session.update_stamps(writes).await?;
                Ok(None)
            }
        }
    }

    /// Stamps a session about to be saved that has no timestamps yet (a new one), so its
    /// timeouts count from its creation. The middleware calls it before saving.
    ///
    /// # Errors
    /// [`Error::Backend`] if the data had to be loaded and the store failed.
    pub async fn stamp_new(&self, session: &Session, now: DateTime<Utc>) -> Result<()> {
        if !self.is_enabled() {
            return Ok(());
        }
        let data = session.data().await?;
        if data.is_empty() {
            return Ok(());
        }
        let missing: Vec<_> = self
            .restart(now)
            .into_iter()
            .filter(|(key, _)| !data.contains_key(*key))
            .collect();
        if !missing.is_empty() {
            session.update(missing).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(seconds: f64) -> DateTime<Utc> {
        DateTime::from_timestamp_micros((seconds * 1e6) as i64).unwrap()
    }

    fn data(entries: &[(&str, Value)]) -> SessionData {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn idle(seconds: u64) -> TimeoutSettings {
        TimeoutSettings {
            expire_seconds: Some(seconds),
            ..TimeoutSettings::default()
        }
    }

    #[test]
    fn off_by_default_and_nothing_written() {
        let off = TimeoutSettings::default();
        assert!(!off.is_enabled());
        let old = data(&[("user", 1.into()), (IDLE_KEY, 0.0.into())]);
        assert_eq!(off.check(&old, at(1e9)), Verdict::Alive(vec![]));
        assert!(off.restart(at(1e9)).is_empty());
    }

    #[test]
    fn first_sight_stamps_a_session_with_data_only() {
        let timeouts = TimeoutSettings {
            absolute_timeout: Some(100),
            ..idle(20)
        };
        let now = at(1_700_000_000.5);
        assert_eq!(
            timeouts.check(&data(&[("user", 1.into())]), now),
            Verdict::Alive(vec![
                (IDLE_KEY, 1_700_000_000.5.into()),
                (ABSOLUTE_KEY, 1_700_000_000.5.into())
            ])
        );
        assert_eq!(
            timeouts.check(&SessionData::new(), now),
            Verdict::Alive(vec![])
        );
    }

    #[test]
    fn idle_timeout_is_strictly_more_than_the_limit() {
        let timeouts = idle(20);
        let start = 1_700_000_000.25;
        let session = data(&[("user", 1.into()), (IDLE_KEY, start.into())]);
        assert!(matches!(
            timeouts.check(&session, at(start + 20.0)),
            Verdict::Alive(_)
        ));
        assert_eq!(
            timeouts.check(&session, at(start + 20.5)),
            Verdict::TimedOut(TimedOut::Idle)
        );
        // Integers, as another writer may store them, are read too.
        let whole = data(&[("user", 1.into()), (IDLE_KEY, 1_700_000_000.into())]);
        assert_eq!(
            timeouts.check(&whole, at(1_700_000_021.0)),
            Verdict::TimedOut(TimedOut::Idle)
        );
    }

    #[test]
    fn activity_refreshes_only_after_the_grace_period() {
        let start = 1_700_000_000.0;
        let session = data(&[("user", 1.into()), (IDLE_KEY, start.into())]);
        let timeouts = idle(20);
        assert_eq!(
            timeouts.check(&session, at(start + 0.9)),
            Verdict::Alive(vec![])
        );
        assert_eq!(
            timeouts.check(&session, at(start + 1.0)),
            Verdict::Alive(vec![])
        );
        assert_eq!(
            timeouts.check(&session, at(start + 1.5)),
            Verdict::Alive(vec![(IDLE_KEY, (start + 1.5).into())])
        );
        let minute = TimeoutSettings {
            grace_period: 60,
            ..idle(120)
        };
        assert_eq!(
            minute.check(&session, at(start + 59.0)),
            Verdict::Alive(vec![])
        );
        let fixed = TimeoutSettings {
            expire_after_last_activity: false,
            ..idle(20)
        };
        assert_eq!(
            fixed.check(&session, at(start + 15.0)),
            Verdict::Alive(vec![])
        );
        assert_eq!(
            fixed.check(&session, at(start + 20.1)),
            Verdict::TimedOut(TimedOut::Idle)
        );
    }

    #[test]
    fn absolute_timeout_ignores_activity() {
        let timeouts = TimeoutSettings {
            absolute_timeout: Some(60),
            ..idle(20)
        };
        let start = 1_700_000_000.0;
        let fresh_idle = data(&[
            ("user", 1.into()),
            (IDLE_KEY, (start + 59.0).into()),
            (ABSOLUTE_KEY, start.into()),
        ]);
        assert!(matches!(
            timeouts.check(&fresh_idle, at(start + 60.0)),
            Verdict::Alive(_)
        ));
        assert_eq!(
            timeouts.check(&fresh_idle, at(start + 61.0)),
            Verdict::TimedOut(TimedOut::Absolute)
        );
        let left = timeouts.remaining(&fresh_idle, at(start + 50.0));
        assert_eq!(left.idle, Some(29.0));
        assert_eq!(left.absolute, Some(10.0));
    }

    #[test]
    fn a_timestamp_that_is_not_a_number_has_timed_out() {
        let session = data(&[("user", 1.into()), (IDLE_KEY, "yesterday".into())]);
        assert_eq!(
            idle(20).check(&session, at(1e9)),
            Verdict::TimedOut(TimedOut::Idle)
        );
    }

    #[test]
    fn restart_stamps_every_configured_timeout() {
        let now = at(1_700_000_000.0);
        let both = TimeoutSettings {
            absolute_timeout: Some(60),
            ..idle(20)
        };
        let stamped: Vec<_> = both.restart(now).into_iter().map(|(k, _)| k).collect();
        assert_eq!(stamped, [IDLE_KEY, ABSOLUTE_KEY]);
        let only_absolute = TimeoutSettings {
            absolute_timeout: Some(60),
            ..TimeoutSettings::default()
        };
        assert_eq!(
            only_absolute.restart(now),
            vec![(ABSOLUTE_KEY, Value::from(1.7e9))]
        );
        assert_eq!(
            timestamp(now + TimeDelta::milliseconds(250)),
            1_700_000_000.25
        );
    }

    #[test]
    fn validation() {
        idle(1).validate().unwrap();
        assert!(idle(0).validate().is_err());
        let absolute_zero = TimeoutSettings {
            absolute_timeout: Some(0),
            ..TimeoutSettings::default()
        };
        assert!(absolute_zero.validate().is_err());
        for bad in ["", "/a b", "/\r\nSet-Cookie: x=y", "/é"] {
            let timeouts = TimeoutSettings {
                redirect: Some(bad.into()),
                ..idle(5)
            };
            assert!(timeouts.validate().is_err(), "{bad:?}");
        }
        let good = TimeoutSettings {
            redirect: Some("https://example.com/login/?next=%2F".into()),
            ..idle(5)
        };
        good.validate().unwrap();
    }
}
