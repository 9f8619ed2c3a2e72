//! Raw Redis and Redis Cluster: `GET`, `SET key value PX ttl`, `DEL` with redis-rs, on a
//! connection configured as `session-cache` configures its own.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use session_cache::Timeouts;
use session_core::{Error, Result, async_trait};

use crate::baselines::kv::Kv;

/// A redis-rs connection: one multiplexed connection, or a cluster connection.
#[derive(Clone)]
pub enum RedisKv {
    /// A single server through redis-rs's connection manager.
    Single(ConnectionManager),
    /// A cluster.
    Cluster(ClusterConnection),
}

fn failed(what: &'static str) -> impl FnOnce(redis::RedisError) -> Error {
    move |e| Error::backend(what, e)
}

impl RedisKv {
    /// A lazily connecting single-server client with `timeouts`.
    pub fn single(url: &str, timeouts: Timeouts) -> Result<Self> {
        let client = redis::Client::open(url).map_err(failed("parsing the Redis URL"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeouts.connect_timeout()))
            .set_response_timeout(Some(timeouts.response_timeout()));
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(failed("configuring the Redis connection"))?;
        Ok(RedisKv::Single(manager))
    }

    /// A cluster client through any of `urls`, connected now.
    pub async fn cluster(urls: &[String], timeouts: Timeouts) -> Result<Self> {
        let client = ClusterClientBuilder::new(urls.to_vec())
            .connection_timeout(timeouts.connect_timeout())
            .response_timeout(timeouts.response_timeout())
            .build()
            .map_err(failed("configuring the Redis Cluster client"))?;
        let connection = tokio::time::timeout(timeouts.operation(), client.get_async_connection())
            .await
            .map_err(|_| Error::backend_msg("connecting to the Redis Cluster timed out"))?
            .map_err(failed("connecting to the Redis Cluster"))?;
        Ok(RedisKv::Cluster(connection))
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        match self.clone() {
            RedisKv::Single(mut c) => cmd.query_async(&mut c).await,
            RedisKv::Cluster(mut c) => cmd.query_async(&mut c).await,
        }
        .map_err(failed("raw redis"))
    }
}

#[async_trait]
impl Kv for RedisKv {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        self.query::<()>(redis::cmd("SET").arg(key).arg(value).arg("PX").arg(millis))
            .await
    }

    async fn del(&self, key: &str) -> Result<()> {
        self.query::<()>(redis::cmd("DEL").arg(key)).await
    }
}

/// Deletes every key starting with `prefix` on the server at `url` (for a cluster: call it
/// on every master, each deletes the keys it holds). Returns how many.
pub async fn delete_prefixed(url: &str, prefix: &str) -> Result<u64> {
    let client = redis::Client::open(url).map_err(failed("parsing the Redis URL"))?;
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .map_err(failed("connecting to Redis for clean-up"))?;
    let pattern = format!("{}*", escape_glob(prefix));
    let mut cursor: u64 = 0;
    let mut removed = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut connection)
            .await
            .map_err(failed("listing the benchmark's keys"))?;
        for key in keys {
            let n: u64 = redis::cmd("DEL")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .map_err(failed("deleting the benchmark's keys"))?;
            removed += n;
        }
        if next == 0 {
            return Ok(removed);
        }
        cursor = next;
    }
}

/// `prefix` with Redis glob characters escaped.
fn escape_glob(prefix: &str) -> String {
    let mut out = String::new();
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(escape_glob("bench:1*[x]"), "bench:1\\*\\[x\\]");
    }
}
