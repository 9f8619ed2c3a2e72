//! The session cookie, read and written exactly as Django does.

use std::cell::RefCell;

use chrono::{DateTime, Datelike, Timelike, Utc};
use http::HeaderMap;
use http::header::{COOKIE, HeaderValue};
use session_core::{SameSite, SessionSettings, expiry};

/// The value of cookie `name` in the request: Django's `parse_cookie` rules (split on `;`,
/// surrounding quotes removed, the last duplicate wins), over every `Cookie` header.
///
/// The header is read as bytes: another cookie's non-ASCII value (`pref=café`) must not
/// hide this one. Only this cookie's own value has to be ASCII; if it is not, there is no
/// session cookie.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers
        .get_all(COOKIE)
        .iter()
        .rev()
        .find_map(|line| last_in_line(line.as_bytes(), name.as_bytes()))?
        .trim_ascii();
    if !value.is_ascii() {
        return None;
    }
    let value = std::str::from_utf8(value).expect("ASCII is UTF-8");
    Some(unquote(value).to_owned())
}

/// The value of the last `name=value` pair of one `Cookie` line (a pair without `=` has an
/// empty name). Pairs are found from the end with `memrchr`, as a session cookie is read on
/// every request.
fn last_in_line<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut end = line.len();
    loop {
        let start = memchr::memrchr(b';', &line[..end]).map_or(0, |semicolon| semicolon + 1);
        let pair = &line[start..end];
        let (key, value) = match memchr::memchr(b'=', pair) {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (&b""[..], pair),
        };
        if key.trim_ascii() == name {
            return Some(value);
        }
        end = start.checked_sub(1)?;
    }
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// When the cookie expires: `None` for a browser-session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// `Max-Age` in seconds (may be negative, as in Django).
    pub max_age: i64,
    /// `expires`, computed with `max_age` before the session is saved.
    pub expires: DateTime<Utc>,
}

impl Lifetime {
    /// A lifetime of `max_age` seconds from `now` (`expires` stays within years 1 to 9999
    /// whatever `max_age` is).
    pub fn from_now(now: DateTime<Utc>, max_age: i64) -> Self {
        Lifetime {
            max_age,
            expires: expiry::saturating_add_seconds(now, max_age),
        }
    }
}

/// `Set-Cookie` for the session, attributes in the order Python's `SimpleCookie` writes
/// them (Domain, expires, HttpOnly, Max-Age, Path, SameSite, Secure).
pub fn set(settings: &SessionSettings, value: &str, lifetime: Option<Lifetime>) -> HeaderValue {
    let mut out = String::with_capacity(160);
    push_all(&mut out, &[&settings.cookie_name, "=", value]);
    if let Some(domain) = &settings.cookie_domain {
        push_all(&mut out, &["; Domain=", domain]);
    }
    if let Some(lifetime) = lifetime {
        out.push_str("; expires=");
        write_http_date(&mut out, lifetime.expires);
    }
    if settings.cookie_httponly {
        out.push_str("; HttpOnly");
    }
    if let Some(lifetime) = lifetime {
        out.push_str("; Max-Age=");
        out.push_str(itoa::Buffer::new().format(lifetime.max_age));
    }
    push_common_tail(&mut out, settings);
    if settings.cookie_secure {
        out.push_str("; Secure");
    }
    header(out)
}

/// Django's `delete_cookie`: an empty quoted value that expired in 1970. `Secure` only for
/// `SameSite=None` or a `__Secure-`/`__Host-` name; never `HttpOnly`.
pub fn delete(settings: &SessionSettings) -> HeaderValue {
    let name = &settings.cookie_name;
    let mut out = String::with_capacity(160);
    push_all(&mut out, &[name, "=\"\""]);
    if let Some(domain) = &settings.cookie_domain {
        push_all(&mut out, &["; Domain=", domain]);
    }
    out.push_str("; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0");
    push_common_tail(&mut out, settings);
    let secure_prefix = name.starts_with("__Secure-") || name.starts_with("__Host-");
    if settings.cookie_samesite == Some(SameSite::None) || secure_prefix {
        out.push_str("; Secure");
    }
    header(out)
}

fn push_all(out: &mut String, parts: &[&str]) {
    for part in parts {
        out.push_str(part);
    }
}

/// `; Path=...` and `; SameSite=...`, which both cookies end with (before `Secure`).
fn push_common_tail(out: &mut String, settings: &SessionSettings) {
    push_all(out, &["; Path=", &settings.cookie_path]);
    if let Some(samesite) = settings.cookie_samesite {
        push_all(out, &["; SameSite=", samesite.as_str()]);
    }
}

fn header(text: String) -> HeaderValue {
    HeaderValue::try_from(text).expect("cookie text is built from validated, visible ASCII")
}

/// `Wdy, DD Mon YYYY HH:MM:SS GMT`.
pub fn http_date(at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(29);
    write_http_date(&mut out, at);
    out
}

/// [`http_date`] into `out`. Every response in the same second carries the same date, so
/// each thread keeps the last one it wrote.
fn write_http_date(out: &mut String, at: DateTime<Utc>) {
    thread_local! {
        static LAST: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    let this_second = at.timestamp();
    let kept = LAST.try_with(|last| {
        let (second, text) = &mut *last.borrow_mut();
        if *second != this_second {
            *second = i64::MIN;
            text.clear();
            format_http_date(text, at);
            *second = this_second;
        }
        out.push_str(text);
    });
    if kept.is_err() {
        format_http_date(out, at);
    }
}

/// `Wdy, DD Mon YYYY HH:MM:SS GMT` without chrono's format-string interpreter (it was a
/// visible share of a request's CPU time). Years are 1 to 9999, four digits as in `%Y`.
fn format_http_date(out: &mut String, at: DateTime<Utc>) {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    out.push_str(DAYS[at.weekday().num_days_from_monday() as usize]);
    out.push_str(", ");
    two(out, at.day());
    out.push(' ');
    out.push_str(MONTHS[at.month0() as usize]);
    out.push(' ');
    let year = at.year().clamp(0, 9999) as u32;
    two(out, year / 100);
    two(out, year % 100);
    out.push(' ');
    two(out, at.hour());
    out.push(':');
    two(out, at.minute());
    out.push(':');
    two(out, at.second());
    out.push_str(" GMT");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn headers(lines: &[&str]) -> HeaderMap {
        raw_headers(&lines.iter().map(|line| line.as_bytes()).collect::<Vec<_>>())
    }

    #[test]
    fn reads_like_django() {
        assert_eq!(
            read(&headers(&["a=1; sessionid=abc; b=2"]), "sessionid").as_deref(),
            Some("abc")
        );
        assert_eq!(
            read(&headers(&["sessionid=one; sessionid=two"]), "sessionid").as_deref(),
            Some("two")
        );
        assert_eq!(
            read(&headers(&["x=1", "sessionid=\"q\""]), "sessionid").as_deref(),
            Some("q")
        );
        assert_eq!(
            read(&headers(&["sessionid="]), "sessionid").as_deref(),
            Some("")
        );
        assert_eq!(read(&headers(&["other=1"]), "sessionid"), None);
        assert_eq!(read(&headers(&["xsessionid=1"]), "sessionid"), None);
    }

    fn raw_headers(lines: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(COOKIE, HeaderValue::from_bytes(line).unwrap());
        }
        map
    }

    #[test]
    fn non_ascii_elsewhere_does_not_hide_the_session_cookie() {
        for line in [
            "sessionid=abc; pref=café".as_bytes(),
            "pref=café; sessionid=abc".as_bytes(),
            b"sessionid=abc; latin1=caf\xe9",
            "naïve=1; sessionid=\"abc\"".as_bytes(),
        ] {
            assert_eq!(
                read(&raw_headers(&[line]), "sessionid").as_deref(),
                Some("abc"),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(
            read(
                &raw_headers(&["pref=café".as_bytes(), b"sessionid=abc"]),
                "sessionid"
            )
            .as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn a_non_ascii_session_cookie_is_no_cookie() {
        assert_eq!(
            read(&raw_headers(&["sessionid=abç".as_bytes()]), "sessionid"),
            None
        );
        assert_eq!(
            read(&raw_headers(&[b"sessionid=ab\xff"]), "sessionid"),
            None
        );
    }

    #[test]
    fn the_date_kept_is_keyed_by_the_whole_second() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 59, 0).unwrap();
        for (offset, text) in [
            (0, "Sun, 06 Dec 2026 09:59:00 GMT"),
            (1, "Sun, 06 Dec 2026 09:59:01 GMT"),
            (60, "Sun, 06 Dec 2026 10:00:00 GMT"),
            (86_400, "Mon, 07 Dec 2026 09:59:00 GMT"),
            (-86_400 * 365 * 60, "Wed, 21 Dec 1966 09:59:00 GMT"),
        ] {
            assert_eq!(http_date(at + chrono::TimeDelta::seconds(offset)), text);
        }
    }

    #[test]
    fn the_date_kept_from_the_last_response_is_only_reused_within_its_second() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 59, 59).unwrap();
        assert_eq!(http_date(at), "Sun, 06 Dec 2026 09:59:59 GMT");
        let later_that_second = at + chrono::TimeDelta::milliseconds(999);
        assert_eq!(
            http_date(later_that_second),
            "Sun, 06 Dec 2026 09:59:59 GMT"
        );
        let next = at + chrono::TimeDelta::seconds(1);
        assert_eq!(http_date(next), "Sun, 06 Dec 2026 10:00:00 GMT");
        assert_eq!(http_date(at), "Sun, 06 Dec 2026 09:59:59 GMT");
    }

    #[test]
    fn http_date_matches_the_strftime_format_over_the_whole_calendar() {
        let mut at = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
        let step = chrono::TimeDelta::seconds(86_400 * 37 + 3_661 * 7 + 13);
        let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        while at <= last {
            assert_eq!(
                http_date(at),
                at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
            );
            at += step;
        }
        assert_eq!(http_date(last), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn writes_like_django() {
        let mut settings = SessionSettings::new("s").unwrap();
        let expires = Utc.with_ymd_and_hms(2023, 11, 28, 22, 13, 20).unwrap();
        let lifetime = Lifetime {
            max_age: 1_209_600,
            expires,
        };
        assert_eq!(
            set(
                &settings,
                "ol32u61u2ahhdabyxccm69o2kxedexbb",
                Some(lifetime)
            ),
            "sessionid=ol32u61u2ahhdabyxccm69o2kxedexbb; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"
        );
        assert_eq!(
            set(&settings, "w8evqtsdd1klt3r48lw3bvlcqzth1awa", None),
            "sessionid=w8evqtsdd1klt3r48lw3bvlcqzth1awa; HttpOnly; Path=/; SameSite=Lax"
        );
        settings.cookie_domain = Some(".example.com".into());
        settings.cookie_samesite = None;
        settings.cookie_httponly = false;
        settings.cookie_secure = true;
        assert_eq!(
            set(
                &settings,
                "jmw931tijrg33bqjbo0w7uqtzzb4zd8r",
                Some(lifetime)
            ),
            "sessionid=jmw931tijrg33bqjbo0w7uqtzzb4zd8r; Domain=.example.com; expires=Tue, 28 Nov 2023 22:13:20 GMT; Max-Age=1209600; Path=/; Secure"
        );
    }

    #[test]
    fn any_max_age_gives_an_expires_date() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(Lifetime::from_now(now, i64::MAX).expires, expiry::LATEST);
        assert_eq!(Lifetime::from_now(now, i64::MIN).expires, expiry::EARLIEST);
        assert_eq!(
            http_date(Lifetime::from_now(now, 9_000_000_000_000).expires),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }

    #[test]
    fn deletes_like_django() {
        let mut settings = SessionSettings::new("s").unwrap();
        assert_eq!(
            delete(&settings),
            "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"
        );
        settings.cookie_samesite = Some(SameSite::None);
        settings.cookie_secure = false;
        assert_eq!(
            delete(&settings),
            "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure"
        );
        settings.cookie_samesite = Some(SameSite::Lax);
        settings.cookie_domain = Some(".example.local".into());
        settings.cookie_path = "/example/".into();
        assert_eq!(
            delete(&settings),
            "sessionid=\"\"; Domain=.example.local; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; SameSite=Lax"
        );
    }
}
