//! The session cookie, read and written exactly as Django does.

use chrono::{DateTime, Utc};
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
        .flat_map(|line| line.as_bytes().split(|&b| b == b';'))
        .filter_map(|chunk| {
            let (key, value) = match chunk.iter().position(|&b| b == b'=') {
                Some(eq) => (&chunk[..eq], &chunk[eq + 1..]),
                None => (&b""[..], chunk),
            };
            (key.trim_ascii() == name.as_bytes()).then_some(value)
        })
        .next_back()?;
    let value = std::str::from_utf8(value.trim_ascii())
        .ok()
        .filter(|v| v.is_ascii())?;
    Some(unquote(value).to_owned())
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
    let mut out = format!("{}={value}", settings.cookie_name);
    if let Some(domain) = &settings.cookie_domain {
        out.push_str(&format!("; Domain={domain}"));
    }
    if let Some(lifetime) = lifetime {
        out.push_str(&format!("; expires={}", http_date(lifetime.expires)));
    }
    if settings.cookie_httponly {
        out.push_str("; HttpOnly");
    }
    if let Some(lifetime) = lifetime {
        out.push_str(&format!("; Max-Age={}", lifetime.max_age));
    }
    out.push_str(&format!("; Path={}", settings.cookie_path));
    if let Some(samesite) = settings.cookie_samesite {
        out.push_str(&format!("; SameSite={}", samesite.as_str()));
    }
    if settings.cookie_secure {
        out.push_str("; Secure");
    }
    header(out)
}

/// Django's `delete_cookie`: an empty quoted value that expired in 1970. `Secure` only for
/// `SameSite=None` or a `__Secure-`/`__Host-` name; never `HttpOnly`.
pub fn delete(settings: &SessionSettings) -> HeaderValue {
    let name = &settings.cookie_name;
    let mut out = format!("{name}=\"\"");
    if let Some(domain) = &settings.cookie_domain {
        out.push_str(&format!("; Domain={domain}"));
    }
    out.push_str("; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0");
    out.push_str(&format!("; Path={}", settings.cookie_path));
    if let Some(samesite) = settings.cookie_samesite {
        out.push_str(&format!("; SameSite={}", samesite.as_str()));
    }
    let secure_prefix = name.starts_with("__Secure-") || name.starts_with("__Host-");
    if settings.cookie_samesite == Some(SameSite::None) || secure_prefix {
        out.push_str("; Secure");
    }
    header(out)
}

fn header(text: String) -> HeaderValue {
    HeaderValue::try_from(text).expect("cookie text is built from validated, visible ASCII")
}

/// `Wdy, DD Mon YYYY HH:MM:SS GMT`.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
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
