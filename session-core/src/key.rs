//! Session keys: generation from the OS CSPRNG and validation.
//!
//! A [`SessionKey`] can only be built through validation, so an engine that receives one
//! knows it is safe to put into a file name, a SQL parameter or a cache key.

use std::fmt;
use std::sync::Arc;

use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// Characters of a generated key (Django's `VALID_KEY_CHARS`).
pub const VALID_KEY_CHARS: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Length of a generated key (Django's, about 165 bits of entropy).
pub const KEY_LENGTH: usize = 32;
/// Shortest key accepted (Django's rule).
pub const MIN_KEY_LENGTH: usize = 8;
/// Longest key accepted: Django's `session_key` column is `varchar(40)`.
pub const MAX_KEY_LENGTH: usize = 40;
/// Longest signed value accepted by [`SessionKey::parse_signed_value`].
pub const MAX_SIGNED_VALUE_LENGTH: usize = 8192;

/// Why a string was refused as a session key. The offending text is never included,
/// so the error is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidKey {
    /// The key was empty.
    #[error("empty")]
    Empty,
    /// Shorter than the minimum.
    #[error("{len} characters, shorter than {min}")]
    TooShort {
        /// Length seen.
        len: usize,
        /// Minimum allowed.
        min: usize,
    },
    /// Longer than the maximum.
    #[error("{len} bytes, longer than {max}")]
    TooLong {
        /// Length seen.
        len: usize,
        /// Maximum allowed.
        max: usize,
    },
    /// A character outside the allowed alphabet.
    #[error("character not allowed at byte {position}")]
    BadCharacter {
        /// Byte offset of the first bad character.
        position: usize,
    },
}

/// A validated session key.
///
/// Server-side engines get keys of 8 to 40 characters of `[a-z0-9]` ([`SessionKey::parse`]).
/// Client-side engines (signed cookies), whose key *is* the signed payload, accept
/// URL-safe base64 plus `.` and `:` ([`SessionKey::parse_signed_value`]).
///
/// `Debug` shows only the [`log_id`](SessionKey::log_id): a key in a log is a session
/// hijack waiting to happen.
///
/// ```
/// use session_core::SessionKey;
/// assert!(SessionKey::parse("12345678").is_ok());
/// assert!(SessionKey::parse("../../etc/passwd").is_err());
/// assert!(SessionKey::parse("ABCDEFGH").is_err());
/// let key = SessionKey::generate();
/// assert_eq!(key.as_str().len(), 32);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionKey(Arc<str>);

impl SessionKey {
    /// Validates a server-side key: Django's rule (at least 8 characters) plus a maximum of
    /// 40 and the alphabet `[a-z0-9]`.
    pub fn parse(raw: &str) -> Result<Self, InvalidKey> {
        check_length(raw, MIN_KEY_LENGTH, MAX_KEY_LENGTH)?;
        check_alphabet(raw, server_key_byte)?;
        Ok(SessionKey(raw.into()))
    }

    /// Validates a key that is a signed value (`[A-Za-z0-9_.:-]`, 1 to 8192 bytes): the
    /// signed-cookie engine's keys.
    pub fn parse_signed_value(raw: &str) -> Result<Self, InvalidKey> {
        check_length(raw, 1, MAX_SIGNED_VALUE_LENGTH)?;
        check_alphabet(raw, signed_value_byte)?;
        Ok(SessionKey(raw.into()))
    }

    /// A fresh 32-character key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        RandomKeys.generate()
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What logs and error messages show instead of the key: the first 8 hex digits of the
    /// key's SHA-256. Enough to tell sessions apart in a log, 32 bits that say nothing
    /// usable about a key of 165.
    ///
    /// ```
    /// use session_core::SessionKey;
    /// let key = SessionKey::parse("abcdefghijklmnop").unwrap();
    /// assert_eq!(key.log_id(), "f39dac6c");
    /// assert!(!key.log_id().contains(key.as_str()));
    /// ```
    pub fn log_id(&self) -> String {
        Sha256::digest(self.0.as_bytes())[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `text` with every occurrence of the key replaced by `#` and its
    /// [`log_id`](SessionKey::log_id): for a backend's message that quotes what it was sent.
    ///
    /// ```
    /// use session_core::SessionKey;
    /// let key = SessionKey::parse("abcdefghijklmnop").unwrap();
    /// assert_eq!(key.redact("no file sessionidabcdefghijklmnop"), "no file sessionid#f39dac6c");
    /// ```
    pub fn redact(&self, text: &str) -> String {
        text.replace(self.as_str(), &format!("#{}", self.log_id()))
    }
}

fn check_length(raw: &str, min: usize, max: usize) -> Result<(), InvalidKey> {
    match raw.len() {
        0 => Err(InvalidKey::Empty),
        len if len < min => Err(InvalidKey::TooShort { len, min }),
        len if len > max => Err(InvalidKey::TooLong { len, max }),
        _ => Ok(()),
    }
}

/// `[A-Za-z0-9_.:-]`, in bitwise operations only, so that [`check_alphabet`] over a whole
/// signed cookie becomes vector compares.
fn signed_value_byte(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    letter | digit | (b == b'-') | (b == b'_') | (b == b'.') | (b == b':')
}

/// `[a-z0-9]`, as [`signed_value_byte`].
fn server_key_byte(b: u8) -> bool {
    (b.wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10)
}

/// Every byte is checked without stopping at the first bad one, which the compiler turns into
/// vector code (a signed cookie is checked on every request); the bad byte's position is
/// looked for only when there is one.
fn check_alphabet(raw: &str, allowed: impl Fn(u8) -> bool) -> Result<(), InvalidKey> {
    if raw.bytes().fold(true, |ok, b| ok & allowed(b)) {
        return Ok(());
    }
    let position = raw.bytes().position(|b| !allowed(b));
    Err(InvalidKey::BadCharacter {
        position: position.expect("a byte outside the alphabet"),
    })
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey(#{})", self.log_id())
    }
}

impl AsRef<str> for SessionKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Where new session keys come from. Injectable so tests can force collisions.
pub trait KeyGenerator: Send + Sync + fmt::Debug {
    /// A new candidate key; the store decides whether it is free.
    fn generate(&self) -> SessionKey;
}

/// The production generator: 32 characters of `[a-z0-9]` drawn uniformly from the OS CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomKeys;

impl KeyGenerator for RandomKeys {
    fn generate(&self) -> SessionKey {
        // 36 * 7 = 252: bytes at or above it are rejected so every character is equally likely.
        const ACCEPT_BELOW: u8 = 252;
        let mut key = String::with_capacity(KEY_LENGTH);
        let mut pool = [0u8; 48];
        while key.len() < KEY_LENGTH {
            OsRng
                .try_fill_bytes(&mut pool)
                .expect("the operating system's random number generator failed");
            for byte in pool.iter().filter(|b| **b < ACCEPT_BELOW) {
                if key.len() == KEY_LENGTH {
                    break;
                }
                key.push(VALID_KEY_CHARS[usize::from(byte % 36)] as char);
            }
        }
        SessionKey(key.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_length_rules() {
        assert_eq!(SessionKey::parse(""), Err(InvalidKey::Empty));
        assert!(matches!(
            SessionKey::parse("1234567"),
            Err(InvalidKey::TooShort { len: 7, .. })
        ));
        assert!(SessionKey::parse("12345678").is_ok());
        assert!(SessionKey::parse(&"a".repeat(40)).is_ok());
        assert!(matches!(
            SessionKey::parse(&"a".repeat(41)),
            Err(InvalidKey::TooLong { len: 41, .. })
        ));
    }

    #[test]
    fn alphabet_is_enforced() {
        for bad in [
            "abcdefgH",
            "abcd/efgh",
            "abcd\0efgh",
            "abcd efgh",
            "abcdéfgh",
            "..\\..\\x1",
        ] {
            assert!(
                matches!(SessionKey::parse(bad), Err(InvalidKey::BadCharacter { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn signed_values_allow_their_alphabet_only() {
        assert!(SessionKey::parse_signed_value(".eJy_-:1r31eq:AbC").is_ok());
        assert!(SessionKey::parse_signed_value("a/b").is_err());
        assert!(SessionKey::parse_signed_value("").is_err());
        assert!(SessionKey::parse_signed_value(&"a".repeat(MAX_SIGNED_VALUE_LENGTH + 1)).is_err());
    }

    #[test]
    fn the_bitwise_alphabets_are_the_documented_ones_on_every_byte() {
        for b in 0..=u8::MAX {
            let signed = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':');
            assert_eq!(signed_value_byte(b), signed, "{b:#x}");
            let server = b.is_ascii_lowercase() || b.is_ascii_digit();
            assert_eq!(server_key_byte(b), server, "{b:#x}");
        }
        let long = format!("{}/{}/b", "a".repeat(70), "b".repeat(9));
        assert_eq!(
            SessionKey::parse_signed_value(&long),
            Err(InvalidKey::BadCharacter { position: 70 })
        );
    }

    #[test]
    fn generated_keys_are_valid_and_distinct() {
        let keys: std::collections::HashSet<_> =
            (0..2000).map(|_| SessionKey::generate()).collect();
        assert_eq!(keys.len(), 2000);
        for key in &keys {
            assert_eq!(SessionKey::parse(key.as_str()).as_ref(), Ok(key));
        }
    }

    #[test]
    fn generated_characters_cover_the_alphabet() {
        let mut seen = [0usize; 36];
        for _ in 0..500 {
            for b in SessionKey::generate().as_str().bytes() {
                seen[VALID_KEY_CHARS.iter().position(|c| *c == b).unwrap()] += 1;
            }
        }
        // 16,000 draws, about 444 per character: a biased or truncated alphabet shows up here.
        assert!(seen.iter().all(|n| (300..600).contains(n)), "{seen:?}");
    }

    #[test]
    fn debug_does_not_leak_the_key() {
        let key = SessionKey::parse("abcdefghijklmnop").unwrap();
        assert_eq!(format!("{key:?}"), format!("SessionKey(#{})", key.log_id()));
        assert!(!format!("{key:?}").contains("abcd"));
    }

    #[test]
    fn log_id_is_a_stable_short_hash() {
        let key = SessionKey::parse("abcdefghijklmnop").unwrap();
        // sha256("abcdefghijklmnop") starts with f39dac6c.
        assert_eq!(key.log_id(), "f39dac6c");
        let other = SessionKey::parse("abcdefghijklmnoq").unwrap();
        assert_ne!(other.log_id(), key.log_id());
    }
}
