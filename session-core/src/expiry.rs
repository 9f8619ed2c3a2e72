//! Expiry as Django computes it. The custom expiry lives in the session data under
//! `_session_expiry`, as an integer number of seconds or an ISO 8601 string.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;

use crate::SessionData;
use crate::error::{Error, Result};

/// Key of the custom expiry inside the session data.
pub const EXPIRY_KEY: &str = "_session_expiry";

/// The earliest expiry date: Python's `datetime.min` (year 1), so that Django, which
/// shares the sessions, can compute every date this crate stores.
pub const EARLIEST: DateTime<Utc> = python_date(1, 1, 1, 0, 0, 0, 0);
/// The latest expiry date: Python's `datetime.max` (the last microsecond of year 9999).
pub const LATEST: DateTime<Utc> = python_date(9999, 12, 31, 23, 59, 59, 999_999);

const fn python_date(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(y, mo, d).expect("a valid date");
    let time = chrono::NaiveTime::from_hms_micro_opt(h, mi, s, us).expect("a valid time");
    NaiveDateTime::new(date, time).and_utc()
}

/// `at + delta` if it falls between [`EARLIEST`] and [`LATEST`], else `None`; never panics.
///
/// ```
/// use chrono::{TimeDelta, Utc};
/// use session_core::expiry::checked_add;
/// let now = Utc::now();
/// assert!(checked_add(now, TimeDelta::days(14)).is_some());
/// assert_eq!(checked_add(now, TimeDelta::MAX), None);
/// ```
pub fn checked_add(at: DateTime<Utc>, delta: TimeDelta) -> Option<DateTime<Utc>> {
    at.checked_add_signed(delta)
        .filter(|sum| (EARLIEST..=LATEST).contains(sum))
}

/// `at` plus `seconds`, as [`checked_add`].
pub fn checked_add_seconds(at: DateTime<Utc>, seconds: i64) -> Option<DateTime<Utc>> {
    checked_add(at, TimeDelta::try_seconds(seconds)?)
}

/// `at` plus `seconds`, clamped to [`EARLIEST`]..=[`LATEST`]: for a cookie's `expires`,
/// which must be some date whatever the age.
pub fn saturating_add_seconds(at: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    checked_add_seconds(at, seconds).unwrap_or(if seconds < 0 { EARLIEST } else { LATEST })
}

fn out_of_range(what: impl std::fmt::Display) -> Error {
    Error::InvalidExpiry(format!(
        "{what} is not between years 1 and 9999 (Python's datetime range, which Django needs)"
    ))
}

/// What [`Session::set_expiry`](crate::Session::set_expiry) accepts, mirroring Django's
/// `set_expiry(value)`.
///
/// ```
/// use chrono::TimeDelta;
/// use session_core::Expiry;
/// let _ = Expiry::Seconds(300);            // set_expiry(300)
/// let _ = Expiry::BrowserClose;            // set_expiry(0)
/// let _ = Expiry::from(TimeDelta::hours(1)); // set_expiry(timedelta(hours=1))
/// let _ = Expiry::Default;                 // set_expiry(None)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// `None`: back to `SESSION_COOKIE_AGE` (and the browser-close setting).
    Default,
    /// `0`: the cookie lasts until the browser closes; the server keeps the cookie age.
    BrowserClose,
    /// An integer: expire this many seconds after the last save (negative: already expired).
    Seconds(i64),
    /// A point in time, stored as an ISO string.
    At(DateTime<Utc>),
    /// A duration from now; stored as the resulting point in time, as Django does.
    In(TimeDelta),
}

impl From<i64> for Expiry {
    fn from(seconds: i64) -> Self {
        if seconds == 0 {
            Expiry::BrowserClose
        } else {
            Expiry::Seconds(seconds)
        }
    }
}

impl From<DateTime<Utc>> for Expiry {
    fn from(at: DateTime<Utc>) -> Self {
        Expiry::At(at)
    }
}

impl From<TimeDelta> for Expiry {
    fn from(delta: TimeDelta) -> Self {
        Expiry::In(delta)
    }
}

impl From<std::time::Duration> for Expiry {
    fn from(duration: std::time::Duration) -> Self {
        Expiry::In(TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX))
    }
}

impl<T: Into<Expiry>> From<Option<T>> for Expiry {
    fn from(value: Option<T>) -> Self {
        value.map_or(Expiry::Default, Into::into)
    }
}

impl Expiry {
    /// The JSON Django stores for this expiry, `None` for [`Expiry::Default`]; an
    /// [`Error::InvalidExpiry`] when the expiry date would fall outside years 1 to 9999.
    ///
    /// ```
    /// use chrono::Utc;
    /// use session_core::{Error, Expiry};
    /// assert!(Expiry::Seconds(300).to_stored(Utc::now()).is_ok());
    /// assert!(matches!(
    ///     Expiry::Seconds(9_000_000_000_000).to_stored(Utc::now()),
    ///     Err(Error::InvalidExpiry(_))
    /// ));
    /// ```
    pub fn to_stored(self, now: DateTime<Utc>) -> Result<Option<Value>> {
        Ok(match self {
            Expiry::Default => None,
            Expiry::BrowserClose => Some(Value::from(0)),
            Expiry::Seconds(n) => {
                checked_add_seconds(now, n)
                    .ok_or_else(|| out_of_range(format_args!("now + {n} seconds")))?;
                Some(Value::from(n))
            }
            Expiry::At(at) if (EARLIEST..=LATEST).contains(&at) => {
                Some(Value::String(isoformat(at)))
            }
            Expiry::At(at) => return Err(out_of_range(at)),
            Expiry::In(delta) => {
                let at = checked_add(now, delta)
                    .ok_or_else(|| out_of_range(format_args!("now + {delta}")))?;
                Some(Value::String(isoformat(at)))
            }
        })
    }
}

/// A stored `_session_expiry`, read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StoredExpiry {
    /// Absent or falsy (`null`, `0`, `""`, `false`): the cookie age applies.
    Default,
    /// A number of seconds counted from the modification time.
    Seconds(f64),
    /// A point in time.
    At(DateTime<Utc>),
    /// Present but unreadable (a malformed date string, say). Treated as already expired:
    /// an unreadable expiry must not keep a session alive. So is a number of seconds that
    /// puts the date outside years 1 to 9999.
    Invalid,
}

impl StoredExpiry {
    /// Reads the `_session_expiry` entry of `data`.
    pub fn of(data: &SessionData) -> Self {
        data.get(EXPIRY_KEY)
            .map_or(StoredExpiry::Default, Self::from_value)
    }

    /// Interprets one stored value with Python's truthiness rules.
    pub fn from_value(value: &Value) -> Self {
        match value {
            Value::Null | Value::Bool(false) => StoredExpiry::Default,
            Value::Number(n) => match n.as_f64() {
                Some(0.0) => StoredExpiry::Default,
                Some(secs) => StoredExpiry::Seconds(secs),
                None => StoredExpiry::Invalid,
            },
            Value::String(s) if s.is_empty() => StoredExpiry::Default,
            Value::String(s) => parse_isoformat(s).map_or(StoredExpiry::Invalid, StoredExpiry::At),
            _ => StoredExpiry::Invalid,
        }
    }

    /// Django's `get_expiry_age(modification=..., expiry=...)`: whole seconds until expiry,
    /// rounded down as Python's `delta.days * 86400 + delta.seconds` is.
    pub fn age(self, modification: DateTime<Utc>, cookie_age: i64) -> i64 {
        match self.in_range(modification) {
            StoredExpiry::Default => cookie_age,
            // Django returns a float unchanged; the cookie's Max-Age then truncates it.
            StoredExpiry::Seconds(secs) => secs as i64,
            StoredExpiry::At(at) => floor_seconds(at - modification),
            StoredExpiry::Invalid => 0,
        }
    }

    /// Django's `get_expiry_date(modification=..., expiry=...)`. A date outside years 1 to
    /// 9999 (a huge number of seconds, or a cookie age that was never validated) is
    /// `modification`: already expired.
    pub fn date(self, modification: DateTime<Utc>, cookie_age: i64) -> DateTime<Utc> {
        match self.in_range(modification) {
            StoredExpiry::Default => {
                checked_add_seconds(modification, cookie_age).unwrap_or(modification)
            }
            StoredExpiry::Seconds(secs) => {
                seconds_after(modification, secs).unwrap_or(modification)
            }
            StoredExpiry::At(at) => at,
            StoredExpiry::Invalid => modification,
        }
    }

    /// [`StoredExpiry::Invalid`] for a number of seconds that does not give a date.
    fn in_range(self, modification: DateTime<Utc>) -> Self {
        match self {
            StoredExpiry::Seconds(secs) if seconds_after(modification, secs).is_none() => {
                StoredExpiry::Invalid
            }
            other => other,
        }
    }
}

/// `at` plus a float number of seconds, to the microsecond, within the date range.
fn seconds_after(at: DateTime<Utc>, secs: f64) -> Option<DateTime<Utc>> {
    let micros = secs * 1e6;
    if !micros.is_finite() || micros.abs() >= i64::MAX as f64 {
        return None;
    }
    checked_add(at, TimeDelta::microseconds(micros as i64))
}

/// Whole seconds, rounded toward negative infinity (-1.5 s is -2).
fn floor_seconds(delta: TimeDelta) -> i64 {
    let secs = delta.num_seconds();
    if delta < TimeDelta::seconds(secs) {
        secs - 1
    } else {
        secs
    }
}

/// Python's `datetime.isoformat()` of an aware UTC datetime:
/// `2030-01-02T03:04:05.678901+00:00`, microseconds omitted when zero.
pub fn isoformat(at: DateTime<Utc>) -> String {
    let micros = at.timestamp_subsec_micros();
    let base = at.format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        format!("{base}+00:00")
    } else {
        format!("{base}.{micros:06}+00:00")
    }
}

/// Python's `datetime.fromisoformat` for the forms Django writes: with or without a
/// fraction, with an offset (or `Z`), or naive (read as UTC), `T` or space between date
/// and time, or a bare date.
pub fn parse_isoformat(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

/// RFC 3339 with microseconds, for display (`sessions show`).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn t(secs: i64, micros: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, micros * 1000).unwrap()
    }

    #[test]
    fn isoformat_matches_python() {
        let at =
            Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap() + TimeDelta::microseconds(678_901);
        assert_eq!(isoformat(at), "2030-01-02T03:04:05.678901+00:00");
        assert_eq!(
            isoformat(Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap()),
            "2030-01-02T03:04:05+00:00"
        );
        assert_eq!(parse_isoformat(&isoformat(at)), Some(at));
    }

    #[test]
    fn parses_what_django_writes() {
        let at = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
        for text in [
            "2030-01-02T03:04:05+00:00",
            "2030-01-02T03:04:05",
            "2030-01-02 03:04:05",
            "2030-01-02T05:04:05+02:00",
            "2030-01-02T03:04:05Z",
            "2030-01-02T03:04:05.000000",
        ] {
            assert_eq!(parse_isoformat(text), Some(at), "{text}");
        }
        assert_eq!(
            parse_isoformat("2030-01-02"),
            Some(Utc.with_ymd_and_hms(2030, 1, 2, 0, 0, 0).unwrap())
        );
        assert_eq!(parse_isoformat("not a date"), None);
    }

    #[test]
    fn age_rounds_down_like_python() {
        let m = t(1000, 0);
        assert_eq!(StoredExpiry::At(t(1001, 500_000)).age(m, 60), 1);
        assert_eq!(StoredExpiry::At(t(998, 500_000)).age(m, 60), -2);
        assert_eq!(StoredExpiry::At(t(1010, 0)).age(m, 60), 10);
        assert_eq!(StoredExpiry::Seconds(12.7).age(m, 60), 12);
        assert_eq!(StoredExpiry::Default.age(m, 60), 60);
    }

    #[test]
    fn falsy_values_mean_default() {
        for v in [json!(null), json!(0), json!(0.0), json!(""), json!(false)] {
            assert_eq!(StoredExpiry::from_value(&v), StoredExpiry::Default, "{v}");
        }
        assert_eq!(
            StoredExpiry::from_value(&json!(300)),
            StoredExpiry::Seconds(300.0)
        );
        assert_eq!(
            StoredExpiry::from_value(&json!("garbage")),
            StoredExpiry::Invalid
        );
        assert_eq!(StoredExpiry::from_value(&json!([1])), StoredExpiry::Invalid);
    }

    #[test]
    fn out_of_range_expiries_are_refused() {
        let now = t(1_700_000_000, 0);
        for bad in [
            Expiry::Seconds(9_000_000_000_000),
            Expiry::Seconds(i64::MAX),
            Expiry::Seconds(i64::MIN),
            Expiry::Seconds(-9_000_000_000_000),
            Expiry::In(TimeDelta::MAX),
            Expiry::In(TimeDelta::MIN),
            Expiry::from(std::time::Duration::MAX),
            Expiry::At(DateTime::<Utc>::MAX_UTC),
            Expiry::At(LATEST + TimeDelta::microseconds(1)),
            Expiry::At(EARLIEST - TimeDelta::microseconds(1)),
        ] {
            match bad.to_stored(now) {
                Err(Error::InvalidExpiry(reason)) => assert!(reason.contains("9999"), "{reason}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let to_latest = (LATEST - now).num_seconds();
        assert_eq!(
            Expiry::Seconds(to_latest).to_stored(now).unwrap(),
            Some(json!(to_latest))
        );
        assert_eq!(
            Expiry::At(LATEST).to_stored(now).unwrap(),
            Some(json!("9999-12-31T23:59:59.999999+00:00"))
        );
        assert_eq!(
            Expiry::In(LATEST - now).to_stored(now).unwrap(),
            Some(json!("9999-12-31T23:59:59.999999+00:00"))
        );
    }

    #[test]
    fn stored_expiries_out_of_range_are_expired_not_a_panic() {
        let m = t(1_700_000_000, 0);
        for secs in [9e12, -9e12, f64::MAX, f64::MIN, 1e300] {
            let stored = StoredExpiry::from_value(&json!(secs));
            assert_eq!(stored.date(m, 60), m, "{secs}");
            assert_eq!(stored.age(m, 60), 0, "{secs}");
        }
        for cookie_age in [i64::MAX, i64::MIN, 9_000_000_000_000] {
            assert_eq!(StoredExpiry::Default.date(m, cookie_age), m);
        }
        assert_eq!(
            StoredExpiry::At(LATEST).date(DateTime::<Utc>::MIN_UTC, 60),
            LATEST
        );
        assert!(StoredExpiry::At(LATEST).age(DateTime::<Utc>::MIN_UTC, 60) > 0);
    }

    #[test]
    fn adding_seconds_never_panics() {
        let m = t(1_700_000_000, 0);
        assert_eq!(checked_add_seconds(m, 60), Some(t(1_700_000_060, 0)));
        for secs in [i64::MAX, i64::MIN, 9_000_000_000_000] {
            assert_eq!(checked_add_seconds(m, secs), None);
        }
        assert_eq!(saturating_add_seconds(m, i64::MAX), LATEST);
        assert_eq!(saturating_add_seconds(m, i64::MIN), EARLIEST);
        assert_eq!(saturating_add_seconds(m, -60), t(1_699_999_940, 0));
    }

    #[test]
    fn dates() {
        let m = t(1000, 0);
        assert_eq!(StoredExpiry::Default.date(m, 60), t(1060, 0));
        assert_eq!(StoredExpiry::Seconds(-10.0).date(m, 60), t(990, 0));
        assert_eq!(StoredExpiry::At(t(5, 0)).date(m, 60), t(5, 0));
        assert_eq!(StoredExpiry::Invalid.date(m, 60), m);
    }

    /// Found by `tests/fuzz.rs`: an authentic `_session_expiry` of `1e300` (or a signing
    /// time at the end of chrono's range) made `decode_record` panic on overflow.
    #[test]
    fn dates_out_of_range_mean_expired_instead_of_panicking() {
        let m = t(1_700_000_000, 0);
        assert_eq!(StoredExpiry::Seconds(1e300).date(m, 60), m);
        assert_eq!(StoredExpiry::Seconds(-1e300).date(m, 60), m);
        let data = json!({"_session_expiry": 1e300});
        let expiry = StoredExpiry::of(data.as_object().unwrap());
        assert_eq!(expiry.date(m, 60), m);
        let end = DateTime::<Utc>::MAX_UTC - TimeDelta::seconds(1);
        assert_eq!(StoredExpiry::Default.date(end, 1_209_600), end);
        assert_eq!(StoredExpiry::Default.date(m, i64::MAX), m);
    }
}
