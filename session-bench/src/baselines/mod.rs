//! Raw baselines: the backend's own client doing the same round trips as the session layer,
//! with the same pool and payload, so `engine / raw` is the overhead the session layer adds.
//!
//! | workload | raw operations |
//! |---|---|
//! | create | store the payload under a new key |
//! | load hit / miss | read by key |
//! | save | read by key, then write by key (a request that changes one key) |
//! | delete | remove by key |
//!
//! A cached-db engine's baseline is its cache engine alone, through the session layer
//! ([`store::StoreRaw`]): the cost of the write-through on top of the cache.
//!
//! Raw clients store the payload already encoded (what the engine would write), so encoding,
//! decoding, key validation and expiry handling all count as session-layer overhead.

pub mod cookie;
pub mod file;
pub mod kv;
pub mod memcached;
pub mod redis;
pub mod sql;
pub mod store;

use std::sync::Arc;

use crate::target::{Payload, Target};

/// A raw client that can drive any payload.
pub trait Raw: Send + Sync {
    /// What the report calls it: `sql`, `file`, `hmac+base64`...
    fn name(&self) -> &str;

    /// A target doing the raw round trips with `payload`.
    fn target(&self, payload: &Payload) -> Arc<dyn Target>;
}

/// Keys for raw writes: random 32-character keys like the session layer's, so inserts
/// land all over the index as real sessions do.
#[derive(Debug, Default)]
pub struct RawKeys;

impl RawKeys {
    /// A fresh key.
    pub fn next(&self) -> String {
        session_core::SessionKey::generate().as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_keys_are_unique_and_valid_session_keys() {
        let keys = RawKeys;
        let a = keys.next();
        let b = keys.next();
        assert_ne!(a, b);
        assert!(session_core::SessionKey::parse(&a).is_ok(), "{a}");
    }
}
