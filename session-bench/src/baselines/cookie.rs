//! Raw signed cookie: base64 of the JSON and an HMAC-SHA256 signature (Django's key
//! derivation, from `session_core::signing`), without the session layer's JSON handling,
//! compression, timestamp or expiry.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use session_core::signing::Signer;
use session_core::{Result, Secrets, async_trait};

use crate::baselines::Raw;
use crate::target::{Payload, Target, wrong_answer};
use crate::workload::Op;

/// Salt of the raw signature (any salt costs the same).
const SALT: &str = "sessions.bench.raw";

/// The raw cookie "client": a signer.
#[derive(Debug, Clone)]
pub struct CookieRaw {
    signer: Arc<Signer>,
}

impl CookieRaw {
    /// Signs with `secrets`' current key (verification tries the fallbacks too).
    pub fn new(secrets: &Secrets) -> Self {
        CookieRaw {
            signer: Arc::new(Signer::new(SALT, secrets)),
        }
    }

    /// `base64(json):signature`.
    pub fn sign(&self, json: &[u8]) -> String {
        self.signer.sign(&URL_SAFE_NO_PAD.encode(json))
    }

    /// The JSON back, `None` when the signature or the base64 is bad.
    pub fn verify(&self, cookie: &str) -> Option<Vec<u8>> {
        let value = self.signer.unsign(cookie).ok()?;
        URL_SAFE_NO_PAD.decode(value).ok()
    }
}

impl Raw for CookieRaw {
    fn name(&self) -> &str {
        "hmac+base64"
    }

    fn target(&self, payload: &Payload) -> Arc<dyn Target> {
        Arc::new(CookieTarget {
            raw: self.clone(),
            json: payload.json.clone(),
        })
    }
}

struct CookieTarget {
    raw: CookieRaw,
    json: Arc<[u8]>,
}

#[async_trait]
impl Target for CookieTarget {
    async fn seed(&self) -> Result<String> {
        Ok(self.raw.sign(&self.json))
    }

    async fn run(&self, op: Op, key: &str, _n: u64) -> Result<()> {
        match op {
            Op::Create => {
                std::hint::black_box(self.raw.sign(&self.json));
                Ok(())
            }
            Op::Load => match self.raw.verify(key) {
                Some(json) => {
                    std::hint::black_box(json);
                    Ok(())
                }
                None => Err(wrong_answer("a signed cookie did not verify")),
            },
            Op::LoadMiss => match self.raw.verify(key) {
                None => Ok(()),
                Some(_) => Err(wrong_answer("an unsigned value verified")),
            },
            Op::Save => {
                if self.raw.verify(key).is_none() {
                    return Err(wrong_answer("a signed cookie did not verify"));
                }
                std::hint::black_box(self.raw.sign(&self.json));
                Ok(())
            }
            // A cookie is deleted by the browser; the server has nothing to do.
            Op::Delete => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_rejects_tampering() {
        let raw = CookieRaw::new(&Secrets::new("bench").unwrap());
        let cookie = raw.sign(br#"{"a":1}"#);
        assert_eq!(raw.verify(&cookie).as_deref(), Some(&br#"{"a":1}"#[..]));
        let mut tampered = cookie.clone();
        tampered.insert(0, 'x');
        assert_eq!(raw.verify(&tampered), None);
        assert_eq!(raw.verify("abcdefgh12345678"), None);
    }
}
