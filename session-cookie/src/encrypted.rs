//! The opt-in encrypted format: XChaCha20-Poly1305 under a key derived from the secret.
//!
//! `e1.` + URL-safe base64 (no padding) of `nonce (24 bytes) || ciphertext || tag (16)`,
//! where the plaintext is the signing time (8 bytes, big-endian Unix seconds) followed by
//! the session data as Django's JSON. The prefix is also the associated data, so a value
//! cannot be replayed under another format version.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use hkdf::Hkdf;
use rand::TryRngCore;
use rand::rngs::OsRng;
use session_core::codec::into_session_data;
use session_core::signing::{SigningError, pyjson};
use session_core::{Error, Result, SecretKey, Secrets, SessionData};
use sha2::Sha256;

/// What every encrypted value starts with. A Django signed value can never start with it
/// (its only possible `.` is the first character), and an encrypted value never contains
/// the `:` every signed value has twice, so neither format is mistaken for the other.
pub const ENCRYPTED_PREFIX: &str = "e1.";

/// HKDF salt of the encryption keys: ours, so the keys differ from every key Django derives
/// from the same secret.
pub const ENCRYPTION_SALT: &str = "session-cookie.encrypted-session.v1";

/// HKDF info: what the derived key is for.
const KEY_INFO: &[u8] = b"XChaCha20-Poly1305 session cookie key";

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const TIMESTAMP_LEN: usize = 8;

/// Encrypts with the key of the current secret; decrypts with it or a fallback's.
#[derive(Clone)]
pub(crate) struct EncryptedCodec {
    ciphers: Vec<XChaCha20Poly1305>,
}

impl std::fmt::Debug for EncryptedCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedCodec")
            .field("keys", &self.ciphers.len())
            .finish()
    }
}

impl EncryptedCodec {
    pub(crate) fn new(secrets: &Secrets) -> Self {
        EncryptedCodec {
            ciphers: secrets.all().map(cipher_for).collect(),
        }
    }

    /// A fresh value: a new random nonce every time, so equal data never gives equal values.
    pub(crate) fn seal(&self, data: &SessionData, now: DateTime<Utc>) -> Result<String> {
        let mut plaintext = now.timestamp().to_be_bytes().to_vec();
        pyjson::write_object(&mut plaintext, data);
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| Error::backend("drawing a nonce from the OS random generator", e))?;
        let sealed = self.ciphers[0]
            .encrypt(XNonce::from_slice(&nonce), payload(&plaintext))
            .map_err(|_| Error::backend_msg("encrypting the session cookie failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        let mut out = String::with_capacity(ENCRYPTED_PREFIX.len() + bytes.len() * 4 / 3 + 3);
        out.push_str(ENCRYPTED_PREFIX);
        URL_SAFE_NO_PAD.encode_string(&bytes, &mut out);
        Ok(out)
    }

    /// The data and its sealing time, if the value decrypts under the current key or a
    /// fallback and is at most `max_age` seconds old. Anything that does not authenticate
    /// is [`SigningError::BadSignature`].
    pub(crate) fn open(
        &self,
        value: &str,
        max_age: i64,
        now: DateTime<Utc>,
    ) -> Result<(SessionData, DateTime<Utc>), SigningError> {
        let bytes = value
            .strip_prefix(ENCRYPTED_PREFIX)
            .and_then(|b64| URL_SAFE_NO_PAD.decode(b64).ok())
            .filter(|b| b.len() >= NONCE_LEN + TAG_LEN + TIMESTAMP_LEN)
            .ok_or(SigningError::BadSignature)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plaintext = self
            .ciphers
            .iter()
            .find_map(|c| c.decrypt(XNonce::from_slice(nonce), payload(sealed)).ok())
            .ok_or(SigningError::BadSignature)?;
        let (ts, json) = plaintext.split_at(TIMESTAMP_LEN);
        let ts = i64::from_be_bytes(ts.try_into().expect("split at 8"));
        let signed_at = DateTime::from_timestamp(ts, 0).ok_or(SigningError::BadTimestamp)?;
        let age = now.timestamp_micros() as f64 / 1e6 - ts as f64;
        if age > max_age as f64 {
            return Err(SigningError::Expired {
                age,
                max_age: max_age as f64,
            });
        }
        let value = pyjson::from_slice(json).map_err(|e| SigningError::BadJson(e.to_string()))?;
        Ok((into_session_data(value)?, signed_at))
    }
}

fn payload(msg: &[u8]) -> Payload<'_, '_> {
    Payload {
        msg,
        aad: ENCRYPTED_PREFIX.as_bytes(),
    }
}

/// HKDF-SHA256(salt = [`ENCRYPTION_SALT`], ikm = secret) expanded to a 256-bit key.
fn cipher_for(secret: &SecretKey) -> XChaCha20Poly1305 {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(ENCRYPTION_SALT.as_bytes()), secret.expose())
        .expand(KEY_INFO, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    XChaCha20Poly1305::new(&key.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn data() -> SessionData {
        serde_json::json!({"user": 42, "name": "zoë"})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn round_trip_hides_the_data_and_never_repeats() {
        let codec = EncryptedCodec::new(&Secrets::new("k").unwrap());
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let a = codec.seal(&data(), at).unwrap();
        let b = codec.seal(&data(), at).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(ENCRYPTED_PREFIX) && !a.contains(':'));
        let raw = URL_SAFE_NO_PAD
            .decode(&a[ENCRYPTED_PREFIX.len()..])
            .unwrap();
        assert!(!raw.windows(4).any(|w| w == b"user"));
        assert_eq!(codec.open(&a, 10, at), Ok((data(), at)));
    }

    #[test]
    fn age_is_checked_like_django() {
        let codec = EncryptedCodec::new(&Secrets::new("k").unwrap());
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let value = codec.seal(&data(), at).unwrap();
        assert!(
            codec
                .open(&value, 10, at + chrono::TimeDelta::seconds(10))
                .is_ok()
        );
        assert!(matches!(
            codec.open(&value, 10, at + chrono::TimeDelta::milliseconds(10_001)),
            Err(SigningError::Expired { .. })
        ));
    }

    #[test]
    fn short_or_foreign_values_are_refused() {
        let codec = EncryptedCodec::new(&Secrets::new("k").unwrap());
        let now = Utc::now();
        for bad in [
            "",
            "e1.",
            "e1.AAAA",
            "e1.!!!!",
            "x1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                codec.open(bad, 10, now),
                Err(SigningError::BadSignature),
                "{bad}"
            );
        }
    }
}
