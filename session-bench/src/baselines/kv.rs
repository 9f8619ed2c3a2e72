//! Raw key/value clients (Redis, Memcached, an in-process cache): GET / SET with TTL / DEL
//! under the run's own key prefix.

use std::sync::Arc;
use std::time::Duration;

use session_core::{Result, async_trait};

use crate::baselines::{Raw, RawKeys};
use crate::target::{Payload, Target, wrong_answer};
use crate::workload::Op;

/// The three commands a raw key/value baseline needs.
#[async_trait]
pub trait Kv: Send + Sync + 'static {
    /// The value under `key`.
    async fn get(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()>;
    /// Removes `key`.
    async fn del(&self, key: &str) -> Result<()>;
}

/// A raw baseline over a [`Kv`], its keys starting with `prefix`.
pub struct KvRaw {
    name: String,
    kv: Arc<dyn Kv>,
    prefix: String,
    ttl: Duration,
    keys: Arc<RawKeys>,
}

impl KvRaw {
    /// `kv` named `name` in reports, keys under `prefix`, entries living `ttl`.
    pub fn new(name: &str, kv: Arc<dyn Kv>, prefix: &str, ttl: Duration) -> Self {
        KvRaw {
            name: name.to_owned(),
            kv,
            prefix: prefix.to_owned(),
            ttl,
            keys: Arc::new(RawKeys),
        }
    }
}

impl Raw for KvRaw {
    fn name(&self) -> &str {
        &self.name
    }

    fn target(&self, payload: &Payload) -> Arc<dyn Target> {
        Arc::new(KvTarget {
            kv: self.kv.clone(),
            prefix: self.prefix.clone(),
            ttl: self.ttl,
            keys: self.keys.clone(),
            value: payload.encoded.clone(),
        })
    }
}

struct KvTarget {
    kv: Arc<dyn Kv>,
    prefix: String,
    ttl: Duration,
    keys: Arc<RawKeys>,
    value: Arc<str>,
}

impl KvTarget {
    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl Target for KvTarget {
    async fn seed(&self) -> Result<String> {
        let key = self.keys.next();
        self.kv.set(&self.full(&key), &self.value, self.ttl).await?;
        Ok(key)
    }

    async fn run(&self, op: Op, key: &str, _n: u64) -> Result<()> {
        match op {
            Op::Create => self.seed().await.map(drop),
            Op::Load => match self.kv.get(&self.full(key)).await? {
                Some(_) => Ok(()),
                None => Err(wrong_answer("a stored entry was not found")),
            },
            Op::LoadMiss => match self.kv.get(&self.full(key)).await? {
                None => Ok(()),
                Some(_) => Err(wrong_answer("a missing entry was found")),
            },
            Op::Save => {
                let full = self.full(key);
                if self.kv.get(&full).await?.is_none() {
                    return Err(wrong_answer("a stored entry was not found"));
                }
                self.kv.set(&full, &self.value, self.ttl).await
            }
            Op::Delete => self.kv.del(&self.full(key)).await,
        }
    }
}

/// The session-cache crate's own in-process cache, used directly.
#[derive(Debug, Clone, Default)]
pub struct MemoryKv(pub session_cache::MemoryCache);

#[async_trait]
impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        session_cache::Cache::get(&self.0, key).await
    }
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        session_cache::Cache::set(&self.0, key, value, ttl).await
    }
    async fn del(&self, key: &str) -> Result<()> {
        session_cache::Cache::delete(&self.0, key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::session_data;
    use session_core::{SessionSettings, StoreContext};

    #[tokio::test]
    async fn kv_target_round_trips_and_checks_answers() {
        let ctx = StoreContext::new(SessionSettings::new("t").unwrap());
        let payload = Payload::new(200, session_data(200), &ctx).unwrap();
        let raw = KvRaw::new(
            "moka",
            Arc::new(MemoryKv::default()),
            "p:",
            Duration::from_secs(60),
        );
        let target = raw.target(&payload);
        let key = target.seed().await.unwrap();
        target.run(Op::Load, &key, 0).await.unwrap();
        target.run(Op::Save, &key, 1).await.unwrap();
        target.run(Op::LoadMiss, "nothinghere", 0).await.unwrap();
        assert!(target.run(Op::LoadMiss, &key, 0).await.is_err());
        target.run(Op::Delete, &key, 0).await.unwrap();
        assert!(target.run(Op::Load, &key, 0).await.is_err());
    }
}
