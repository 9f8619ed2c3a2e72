//! Django's `patch_vary_headers(response, ("Cookie",))`.

use http::HeaderMap;
use http::header::{HeaderValue, VARY};

/// Adds `Cookie` to `Vary` unless already there (case-insensitively); keeps the existing
/// order; a `*` stays alone.
pub fn add_cookie(headers: &mut HeaderMap) {
    if !headers.contains_key(VARY) {
        headers.insert(VARY, HeaderValue::from_static("Cookie"));
        return;
    }
    let mut fields: Vec<String> = headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    if fields.iter().any(|f| f == "*") {
        headers.insert(VARY, HeaderValue::from_static("*"));
        return;
    }
    if !fields.iter().any(|f| f.eq_ignore_ascii_case("cookie")) {
        fields.push("Cookie".to_owned());
    }
    let joined = fields.join(", ");
    headers.insert(
        VARY,
        HeaderValue::try_from(joined).expect("joined from valid header values"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary_after(existing: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        for v in existing {
            headers.append(VARY, HeaderValue::from_str(v).unwrap());
        }
        add_cookie(&mut headers);
        let all: Vec<_> = headers
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        all.join(" | ")
    }

    #[test]
    fn patches_like_django() {
        assert_eq!(vary_after(&[]), "Cookie");
        assert_eq!(vary_after(&["Accept-Encoding"]), "Accept-Encoding, Cookie");
        assert_eq!(
            vary_after(&["accept-encoding, COOKIE"]),
            "accept-encoding, COOKIE"
        );
        assert_eq!(
            vary_after(&["Accept", "Accept-Language"]),
            "Accept, Accept-Language, Cookie"
        );
        assert_eq!(vary_after(&["*"]), "*");
    }
}
