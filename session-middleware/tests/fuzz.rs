//! Property-based fuzzing of the `Cookie` header parser (`cookie::read`) over arbitrary
//! header bytes, against the reader's plain model (`model_read`) on any bytes and a model of
//! Django's `parse_cookie` for well-formed headers.
//!
//! Every property runs `PROPTEST_CASES` cases (256 unless set); `scripts/test` runs this
//! file again in release mode with a large count.

use std::time::{Duration, Instant};

use http::HeaderMap;
use http::header::{COOKIE, HeaderValue};
use proptest::prelude::*;
use session_middleware::cookie;

const BOUND: Duration = Duration::from_secs(2);

fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    let start = Instant::now();
    let value = cookie::read(headers, name);
    let took = start.elapsed();
    assert!(took < BOUND, "read took {took:?}");
    value
}

/// The reader in its plainest form: every `;`-separated pair of every line, in order, the
/// last one named `name` wins; its value must be ASCII.
fn model_read(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|line| line.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (&b""[..], pair),
            };
            (key.trim_ascii() == name.as_bytes()).then_some(value)
        })
        .collect::<Vec<_>>()
        .pop()?;
    let value = std::str::from_utf8(value.trim_ascii())
        .ok()
        .filter(|v| v.is_ascii())?;
    let unquoted = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
    Some(unquoted.unwrap_or(value).to_owned())
}

/// Header bytes: anything, and text made of the characters that matter to the parser.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "[a-z=; \"\t,]{0,100}".prop_map(String::into_bytes),
        "(sessionid|x|)=\"?[A-Za-z0-9:._ \"-]{0,40}\"?(; ?)?".prop_map(String::into_bytes),
    ]
}

proptest! {
    /// Any bytes in any number of `Cookie` headers: no panic, the same answer as the plain
    /// model, and what is found is in the headers.
    #[test]
    fn arbitrary_headers_never_panic(
        lines in prop::collection::vec(header_bytes(), 0..4),
        name in prop_oneof![Just("sessionid".to_owned()), "[a-z=; ]{0,10}"],
    ) {
        let mut headers = HeaderMap::new();
        for line in &lines {
            if let Ok(value) = HeaderValue::from_bytes(line) {
                headers.append(COOKIE, value);
            }
        }
        prop_assert_eq!(read(&headers, &name), model_read(&headers, &name));
        if let Some(value) = read(&headers, &name) {
            // Compared as bytes: the header is read as bytes, so a line with another
            // cookie's non-ASCII byte still holds this one.
            let found = headers.get_all(COOKIE).iter().any(|line| {
                value.is_empty()
                    || line
                        .as_bytes()
                        .windows(value.len())
                        .any(|window| window == value.as_bytes())
            });
            prop_assert!(found, "{value:?} is in no header");
            prop_assert!(!value.contains(';'));
        }
    }

    /// Well-formed headers: the value of the last `name=...` wins, quotes stripped, as in
    /// Django; a name that is not there is `None`.
    #[test]
    fn last_value_of_the_name_wins(
        pairs in prop::collection::vec(
            (prop_oneof![Just("sessionid".to_owned()), "[a-z_]{1,10}"], "[A-Za-z0-9:._-]{0,40}", any::<bool>(), any::<bool>()),
            0..8,
        ),
        split_at in any::<usize>(),
    ) {
        let chunks: Vec<String> = pairs
            .iter()
            .map(|(k, v, quoted, space)| {
                let v = if *quoted { format!("\"{v}\"") } else { v.clone() };
                if *space { format!(" {k} = {v} ") } else { format!("{k}={v}") }
            })
            .collect();
        // Spread over two headers at an arbitrary chunk boundary.
        let at = if chunks.is_empty() { 0 } else { split_at % (chunks.len() + 1) };
        let mut headers = HeaderMap::new();
        for part in [&chunks[..at], &chunks[at..]] {
            if !part.is_empty() {
                headers.append(COOKIE, HeaderValue::from_str(&part.join(";")).unwrap());
            }
        }
        let expected = pairs
            .iter()
            .rev()
            .find(|(k, ..)| k == "sessionid")
            .map(|(_, v, ..)| v.clone());
        prop_assert_eq!(read(&headers, "sessionid"), expected);
    }
}

/// Found by the CI fuzz step (the property compared text where the reader reads bytes): a
/// line holding a non-ASCII byte, and an empty cookie name, whose empty value is found.
#[test]
fn regression_a_non_ascii_line_and_an_empty_name() {
    let mut headers = HeaderMap::new();
    headers.append(COOKIE, HeaderValue::from_bytes(&[0x80, b';']).unwrap());
    assert_eq!(read(&headers, "").as_deref(), Some(""));
}
