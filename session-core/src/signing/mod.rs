//! `django.core.signing`: [`Signer`], [`TimestampSigner`], [`dumps`] and [`loads`].
//!
//! A signed object looks like `[.]<base64 payload>:<base62 timestamp>:<base64 signature>`:
//! compact ASCII JSON, zlib-compressed only when that is shorter (then marked with a leading
//! `.`), URL-safe base64 without padding, and an HMAC-SHA256 keyed with Django's `salted_hmac`
//! derivation, `SHA256(salt + "signer" + secret)`.
//!
//! Django reads every value [`dumps`] writes, and [`loads`] reads every value Django writes.
//! The bytes are Django's own except for the compressed payload: [`Compression::Fast`] (the
//! default of [`SessionCodec`](crate::SessionCodec)) deflates faster than Django and skips
//! JSON too short to gain from it, [`Compression::DjangoExact`] reproduces Django's output
//! byte for byte.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use session_core::Secrets;
//! use session_core::signing::{self, Compression, TimestampSigner};
//!
//! let secrets = Secrets::new("secret")?;
//! let signer = TimestampSigner::new("django.core.signing", &secrets);
//! let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
//! let signed = signing::dumps(&"hello", &signer, Compression::Off, at)?;
//! assert_eq!(signed, "ImhlbGxvIg:1r31eq:a3CFcK7P0T4YtvcQde-8mW6c7nClbqAtZDLbkQ7-O9A");
//! assert_eq!(signing::loads(&signed, &signer, None, at)?, "hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod base62;
mod compress;
pub mod pyjson;
mod scratch;

pub use compress::{Compression, FAST_MIN_LEN};

use std::cell::Cell;
use std::convert::Infallible;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::settings::Secrets;

type HmacSha256 = Hmac<Sha256>;

/// Length of a signature: an HMAC-SHA256 in URL-safe base64 without padding.
const SIGNATURE_LEN: usize = 43;

/// Room for `:<base62 timestamp>:<signature>` after a payload.
const TIMESTAMP_AND_SIGNATURE_LEN: usize = 1 + 12 + 1 + SIGNATURE_LEN;

thread_local! {
    static JSON: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    static DECODED: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Why a signed value was refused. Every variant means "do not trust this value".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// No `:` separator where one must be.
    #[error("no \":\" found in value")]
    MissingSeparator,
    /// The signature matches none of the keys.
    #[error("signature does not match")]
    BadSignature,
    /// The timestamp is not base62.
    #[error("timestamp is not base62")]
    BadTimestamp,
    /// Older than the allowed age.
    #[error("Signature age {age} > {max_age} seconds")]
    Expired {
        /// Seconds since signing.
        age: f64,
        /// Seconds allowed.
        max_age: f64,
    },
    /// Authentic, but the payload is not URL-safe base64.
    #[error("payload is not valid base64")]
    BadBase64,
    /// Authentic, but the compressed payload does not inflate (or inflates too large).
    #[error("payload does not decompress: {0}")]
    BadCompression(String),
    /// Authentic, but the payload is not JSON.
    #[error("payload is not JSON: {0}")]
    BadJson(String),
}

impl SigningError {
    /// True when the value was not signed with any of our keys (as opposed to an authentic
    /// value whose content is unusable).
    pub fn is_bad_signature(&self) -> bool {
        matches!(
            self,
            SigningError::MissingSeparator | SigningError::BadSignature
        )
    }
}

/// Django's `Signer` with `algorithm="sha256"` and the `:` separator.
///
/// The HMAC keys for the current secret and every fallback are derived once, at
/// construction.
#[derive(Clone)]
pub struct Signer {
    keys: Vec<HmacSha256>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl Signer {
    /// A signer for `salt` (Django's default salt is `"django.core.signing.Signer"`).
    pub fn new(salt: &str, secrets: &Secrets) -> Self {
        let keys = secrets
            .all()
            .map(|secret| salted_hmac_key(&format!("{salt}signer"), secret.expose()))
            .collect();
        Signer { keys }
    }

    /// `value + ":" + signature(value)`.
    pub fn sign(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len() + 1 + SIGNATURE_LEN);
        out.push_str(value);
        self.sign_in_place(&mut out);
        out
    }

    /// Appends `":" + signature(value)` to `value`.
    fn sign_in_place(&self, value: &mut String) {
        let signature = signature(&self.keys[0], value);
        value.push(':');
        value.push_str(signature.as_str());
    }

    /// Returns the value when the signature was made with the current key or a fallback.
    /// As in Django, the keys are tried in that order until one matches, each comparison
    /// constant-time and on the base64 text.
    pub fn unsign<'a>(&self, signed: &'a str) -> Result<&'a str, SigningError> {
        let (value, sig) = signed
            .rsplit_once(':')
            .ok_or(SigningError::MissingSeparator)?;
        let matches =
            |key: &HmacSha256| bool::from(signature(key, value).as_bytes().ct_eq(sig.as_bytes()));
        if self.keys.iter().any(matches) {
            Ok(value)
        } else {
            Err(SigningError::BadSignature)
        }
    }
}

/// Django's `TimestampSigner`: appends `:` and a base62 Unix timestamp before signing.
#[derive(Debug, Clone)]
pub struct TimestampSigner {
    signer: Signer,
}

impl TimestampSigner {
    /// A timestamp signer for `salt`.
    pub fn new(salt: &str, secrets: &Secrets) -> Self {
        TimestampSigner {
            signer: Signer::new(salt, secrets),
        }
    }

    /// Signs `value` as of `now` (whole seconds, as Django's `int(time.time())`).
    pub fn sign(&self, value: &str, now: DateTime<Utc>) -> String {
        let mut out = String::with_capacity(value.len() + TIMESTAMP_AND_SIGNATURE_LEN);
        out.push_str(value);
        self.sign_in_place(&mut out, now);
        out
    }

    /// Appends `":" + timestamp` and then the signature of it all to `value`.
    fn sign_in_place(&self, value: &mut String, now: DateTime<Utc>) {
        value.push(':');
        value.push_str(&base62::encode(now.timestamp()));
        self.signer.sign_in_place(value);
    }

    /// Verifies the signature and, with `max_age` (seconds), the timestamp's age; returns the
    /// value and its signing time (Unix seconds). A timestamp in the future is accepted,
    /// as in Django; an age exactly equal to `max_age` is too.
    pub fn unsign<'a>(
        &self,
        signed: &'a str,
        max_age: Option<f64>,
        now: DateTime<Utc>,
    ) -> Result<(&'a str, i64), SigningError> {
        let timestamped = self.signer.unsign(signed)?;
        let (value, ts) = timestamped
            .rsplit_once(':')
            .ok_or(SigningError::MissingSeparator)?;
        let ts = base62::decode(ts).ok_or(SigningError::BadTimestamp)?;
        if let Some(max_age) = max_age {
            let age = now.timestamp_micros() as f64 / 1e6 - ts as f64;
            if age > max_age {
                return Err(SigningError::Expired { age, max_age });
            }
        }
        Ok((value, ts))
    }
}

/// `signing.dumps`: serializes `obj` with Django's JSON rules, compresses as `compression`
/// says (only when that is shorter), and signs with a timestamp.
pub fn dumps<T: Serialize + ?Sized>(
    obj: &T,
    signer: &TimestampSigner,
    compression: Compression,
    now: DateTime<Utc>,
) -> serde_json::Result<String> {
    signed_json(signer, compression, now, |json| pyjson::write(json, obj))
}

/// [`dumps`] of a JSON object such as session data: the same bytes, written without serde
/// ([`pyjson::write_object`]), and no error to report.
pub fn dumps_object(
    object: &Map<String, Value>,
    signer: &TimestampSigner,
    compression: Compression,
    now: DateTime<Utc>,
) -> String {
    let Ok(signed) = signed_json(signer, compression, now, |json| {
        pyjson::write_object(json, object);
        Ok::<_, Infallible>(())
    });
    signed
}

/// Signs, as of `now`, the payload of the JSON that `write` appends to an empty buffer.
fn signed_json<E>(
    signer: &TimestampSigner,
    compression: Compression,
    now: DateTime<Utc>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<String, E> {
    scratch::with(&JSON, |json| {
        json.clear();
        write(json)?;
        let mut signed = payload(json, compression, TIMESTAMP_AND_SIGNATURE_LEN);
        signer.sign_in_place(&mut signed, now);
        Ok(signed)
    })
}

/// The payload half of `dumps`: `[.]<base64>` of the JSON bytes.
pub fn encode_payload(json: &[u8], compression: Compression) -> String {
    payload(json, compression, 0)
}

/// The payload in a string with room for `room` more bytes.
fn payload(json: &[u8], compression: Compression, room: usize) -> String {
    compress::with_deflated(json, compression, |deflated| {
        let (mark, bytes) = match deflated {
            Some(deflated) => (".", deflated),
            None => ("", json),
        };
        let mut out = String::with_capacity(mark.len() + bytes.len().div_ceil(3) * 4 + room);
        out.push_str(mark);
        URL_SAFE_NO_PAD.encode_string(bytes, &mut out);
        out
    })
}

/// `signing.loads`: verifies (with `max_age` in seconds, if given) and decodes.
pub fn loads(
    signed: &str,
    signer: &TimestampSigner,
    max_age: Option<f64>,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, SigningError> {
    let (payload, _) = signer.unsign(signed, max_age, now)?;
    decode_payload(payload)
}

/// Reverses [`encode_payload`] and parses the JSON. Only ever called on authenticated text.
pub fn decode_payload(payload: &str) -> Result<serde_json::Value, SigningError> {
    let (compressed, b64) = match payload.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, payload),
    };
    let parse =
        |json: &[u8]| pyjson::from_slice(json).map_err(|e| SigningError::BadJson(e.to_string()));
    scratch::with(&DECODED, |bytes| {
        bytes.clear();
        LENIENT_URL_SAFE
            .decode_vec(b64, bytes)
            .map_err(|_| SigningError::BadBase64)?;
        if compressed {
            compress::with_inflated(bytes, parse).map_err(SigningError::BadCompression)?
        } else {
            parse(bytes)
        }
    })
}

/// Python's `urlsafe_b64decode` after Django re-pads: padding optional, trailing bits allowed.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Django's `salted_hmac` key: `SHA256(key_salt + secret)`, then HMAC-SHA256 with it.
fn salted_hmac_key(key_salt: &str, secret: &[u8]) -> HmacSha256 {
    let key = Sha256::new()
        .chain_update(key_salt.as_bytes())
        .chain_update(secret)
        .finalize();
    HmacSha256::new_from_slice(&key).expect("HMAC accepts keys of any length")
}

/// A signature as base64 text, without allocating.
struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("base64 is ASCII")
    }
}

fn signature(key: &HmacSha256, value: &str) -> Signature {
    let mut mac = key.clone();
    mac.update(value.as_bytes());
    let mut text = [0; SIGNATURE_LEN];
    URL_SAFE_NO_PAD
        .encode_slice(mac.finalize().into_bytes(), &mut text)
        .expect("an HMAC-SHA256 is 43 characters of base64");
    Signature(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 250_000_000).unwrap()
    }

    #[test]
    fn plain_signer_matches_django() {
        let signer = Signer::new(
            "django.core.signing.Signer",
            &Secrets::new("secret").unwrap(),
        );
        assert_eq!(
            signer.sign("hello"),
            "hello:FRBs_KKrjaVe9zJEdlQdiuJ2n9jBEsFOL1Capquoa18"
        );
        assert_eq!(
            signer.unsign("hello:FRBs_KKrjaVe9zJEdlQdiuJ2n9jBEsFOL1Capquoa18"),
            Ok("hello")
        );
    }

    #[test]
    fn signature_is_compared_as_text() {
        // Both decode to the same bytes; Django rejects the non-canonical one.
        let secrets = Secrets::new("django-insecure-spec-test-key-0123456789").unwrap();
        let signer = TimestampSigner::new("django.contrib.sessions.SessionStore", &secrets);
        let good = "eyJmb28iOiJiYXIifQ:1r31eq:HE_UDqwsTqoXjthcui40m1z9wJd7QS-olm2MNqNZ3po";
        assert!(signer.unsign(good, None, at(1_700_000_000)).is_ok());
        let twin = good.replace("3po", "3pp");
        assert_eq!(
            signer.unsign(&twin, None, at(1_700_000_000)),
            Err(SigningError::BadSignature)
        );
    }

    #[test]
    fn max_age_is_checked_like_django() {
        let secrets = Secrets::new("s").unwrap();
        let signer = TimestampSigner::new("salt", &secrets);
        let signed = signer.sign("v", Utc.timestamp_opt(1000, 0).unwrap());
        let exact = Utc.timestamp_opt(1005, 0).unwrap();
        assert!(signer.unsign(&signed, Some(5.0), exact).is_ok());
        let late = Utc.timestamp_opt(1010, 250_000_000).unwrap();
        assert_eq!(
            signer.unsign(&signed, Some(5.0), late),
            Err(SigningError::Expired {
                age: 10.25,
                max_age: 5.0
            })
        );
        let future = Utc.timestamp_opt(900, 0).unwrap();
        assert!(signer.unsign(&signed, Some(5.0), future).is_ok());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let secrets = Secrets::new("s").unwrap();
        let signer = TimestampSigner::new("salt", &secrets);
        let now = at(1_700_000_000);
        let garbage = "A:".repeat(500_000);
        let inputs = [
            "",
            ":",
            ":::",
            "abc",
            "abc:def",
            "abc:def:ghi",
            garbage.as_str(),
            "\u{0}:\u{0}:\u{0}",
            "é:é:é",
        ];
        for input in inputs {
            assert!(loads(input, &signer, None, now).is_err());
        }
    }

    #[test]
    fn authentic_but_unusable_payloads_are_errors() {
        let secrets = Secrets::new("s").unwrap();
        let signer = TimestampSigner::new("salt", &secrets);
        let now = at(1_700_000_000);
        let cases = [
            ("!!!!", "base64"),
            (".eJwrSS0u", "compression"),
            (".AAAA", "compression"),
            ("aW52YWxpZCBkYXRh", "json"),
        ];
        for (payload, what) in cases {
            let signed = signer.sign(payload, now);
            let err = loads(&signed, &signer, None, now).unwrap_err();
            assert!(!err.is_bad_signature(), "{what}: {err}");
        }
    }

    #[test]
    fn compression_only_when_shorter() {
        assert!(!encode_payload(b"{}", Compression::DjangoExact).starts_with('.'));
        let long = format!("{{\"data\":\"{}\"}}", "a".repeat(100));
        assert_eq!(
            encode_payload(long.as_bytes(), Compression::DjangoExact),
            ".eJyrVkpJLElUslJKpANQqgUA6jEpOQ"
        );
        assert!(!encode_payload(long.as_bytes(), Compression::Off).starts_with('.'));
        assert!(long.len() < FAST_MIN_LEN);
        assert!(!encode_payload(long.as_bytes(), Compression::Fast).starts_with('.'));
        let longer = format!("{{\"data\":\"{}\"}}", "a".repeat(FAST_MIN_LEN));
        let fast = encode_payload(longer.as_bytes(), Compression::Fast);
        assert!(fast.starts_with('.'));
        assert_eq!(
            decode_payload(&fast).unwrap()["data"],
            "a".repeat(FAST_MIN_LEN)
        );
    }
}
