//! Raw Memcached: `get` / `set` / `delete` with the `memcache` crate's async client, on
//! servers and timeouts as `session-cache` uses them.

use std::time::Duration;

use memcache::exp::{AsyncMemcache, Ttl};
use session_cache::Timeouts;
use session_core::{Error, Result, async_trait};

use crate::baselines::kv::Kv;

/// An async memcached client over one or more servers (`host:port`).
#[derive(Clone)]
pub struct MemcachedKv(AsyncMemcache);

fn failed(what: &'static str) -> impl FnOnce(memcache::exp::Error) -> Error {
    move |e| Error::backend(what, e)
}

impl MemcachedKv {
    /// A client for `servers` (`host:port`, or `memcache://host:port`).
    pub async fn connect(servers: &[String], timeouts: Timeouts) -> Result<Self> {
        let servers: Vec<String> = servers
            .iter()
            .map(|s| {
                s.strip_prefix("memcache://")
                    .unwrap_or(s)
                    .trim_end_matches('/')
                    .to_owned()
            })
            .collect();
        let client = AsyncMemcache::builder()
            .connect_timeout(timeouts.connect_timeout())
            .timeout(timeouts.response_timeout())
            .connect_async(servers.iter().map(String::as_str))
            .await
            .map_err(failed("resolving the memcached servers"))?;
        Ok(MemcachedKv(client))
    }
}

#[async_trait]
impl Kv for MemcachedKv {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.0.get::<String>(key).await.map_err(failed("raw get"))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        let secs = u32::try_from(ttl.as_secs().max(1)).unwrap_or(u32::MAX);
        self.0
            .set(key, value, Ttl::secs(secs))
            .await
            .map_err(failed("raw set"))
    }

    async fn del(&self, key: &str) -> Result<()> {
        self.0.delete(key).await.map_err(failed("raw delete"))
    }
}
