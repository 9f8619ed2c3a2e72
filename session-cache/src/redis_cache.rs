//! [`RedisCache`]: Redis or Redis Cluster through redis-rs.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Value};
use session_core::{Error, Result, async_trait};

use crate::cache::{Cache, Swap};
use crate::timeouts::Timeouts;

/// Compare-and-swap in one step on the server: 0 when the key is missing, 1 when it holds
/// another value, 2 when it held `ARGV[1]` and now holds `ARGV[2]` for `ARGV[3]` ms.
const COMPARE_AND_SWAP: &str = r"
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if current ~= ARGV[1] then return 1 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 2
";

/// Reconnect attempts per lost connection before a call fails (the next call tries again).
const RECONNECT_ATTEMPTS: usize = 2;

/// A Redis server or a Redis Cluster: `SET NX PX` to add, `SET XX PX` to replace, `GET`,
/// `DEL`.
///
/// One multiplexed connection serves every call; when it drops, it is re-established in
/// the background with the [`Timeouts`]' short back-off, so calls during an outage fail
/// within [`Timeouts::operation`] and calls after it succeed again without rebuilding
/// anything.
///
/// ```no_run
/// use session_cache::{RedisCache, Timeouts};
/// # async fn demo() -> session_core::Result<()> {
/// let single = RedisCache::connect("redis://127.0.0.1:6379", Timeouts::default())?;
/// let cluster = RedisCache::connect_cluster(
///     ["redis://127.0.0.1:7001", "redis://127.0.0.1:7002"],
///     Timeouts::default(),
/// ).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisCache {
    connection: Connection,
    timeouts: Timeouts,
}

#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.connection {
            Connection::Single(_) => "single",
            Connection::Cluster(_) => "cluster",
        };
        f.debug_struct("RedisCache")
            .field("kind", &kind)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

fn failed(what: &'static str) -> impl FnOnce(redis::RedisError) -> Error {
    move |e| Error::backend(what, e)
}

impl RedisCache {
    /// A cache on the server at `url` (`redis://host:port/db`, `rediss://` needs a TLS
    /// build of redis-rs). Connects lazily: this succeeds while the server is down, and
    /// the first call connects. Must run inside a Tokio runtime.
    pub fn connect(url: &str, timeouts: Timeouts) -> Result<Self> {
        let client = redis::Client::open(url).map_err(failed("parsing the Redis URL"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeouts.connect_timeout()))
            .set_response_timeout(Some(timeouts.response_timeout()))
            .set_number_of_retries(RECONNECT_ATTEMPTS)
            .set_min_delay(timeouts.reconnect_backoff() / 4)
            .set_max_delay(timeouts.reconnect_backoff());
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(failed("configuring the Redis connection"))?;
        Ok(RedisCache {
            connection: Connection::Single(manager),
            timeouts,
        })
    }

    /// A cache on the Redis Cluster reachable through any of `urls`. Keys are spread over
    /// the masters by Redis's hash slots. Connects now, so the cluster must be up.
    pub async fn connect_cluster(
        urls: impl IntoIterator<Item = impl AsRef<str>>,
        timeouts: Timeouts,
    ) -> Result<Self> {
        let urls: Vec<String> = urls.into_iter().map(|u| u.as_ref().to_owned()).collect();
        let backoff = u64::try_from(timeouts.reconnect_backoff().as_millis()).unwrap_or(u64::MAX);
        let client = ClusterClientBuilder::new(urls)
            .connection_timeout(timeouts.connect_timeout())
            .response_timeout(timeouts.response_timeout())
            .overall_response_timeout(Some(timeouts.operation()))
            .retries(RECONNECT_ATTEMPTS as u32)
            .min_retry_wait(backoff / 4)
            .max_retry_wait(backoff)
            .build()
            .map_err(failed("configuring the Redis Cluster client"))?;
        let connection = timeouts
            .bound("connecting to the Redis Cluster", async {
                client
                    .get_async_connection()
                    .await
                    .map_err(failed("connecting to the Redis Cluster"))
            })
            .await?;
        Ok(RedisCache {
            connection: Connection::Cluster(connection),
            timeouts,
        })
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    fn run(&self, what: &'static str, cmd: Cmd) -> impl Future<Output = Result<Value>> {
        let connection = self.connection.clone();
        self.timeouts.bound(what, async move {
            match connection {
                Connection::Single(mut c) => cmd.query_async::<Value>(&mut c).await,
                Connection::Cluster(mut c) => cmd.query_async::<Value>(&mut c).await,
            }
            .map_err(failed(what))
        })
    }

    /// `SET key value PX ttl [NX|XX]`: true when it stored.
    async fn store(
        &self,
        what: &'static str,
        key: &str,
        value: &str,
        ttl: Duration,
        condition: Option<&str>,
    ) -> Result<bool> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        // Sized up front: the value is the bulk of it, and growing the buffer copies it.
        let mut cmd = Cmd::with_capacity(6, key.len() + value.len() + 32);
        cmd.arg("SET").arg(key).arg(value).arg("PX").arg(millis);
        if let Some(condition) = condition {
            cmd.arg(condition);
        }
        match self.run(what, cmd).await? {
            Value::Nil => Ok(false),
            Value::Okay => Ok(true),
            Value::SimpleString(s) if s == "OK" => Ok(true),
            other => Err(Error::backend_msg(format!(
                "{what}: unexpected reply {other:?}"
            ))),
        }
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(key);
        let value = self.run("reading a session from Redis", cmd).await?;
        redis::from_redis_value(value)
            .map_err(|e| Error::backend("reading a session from Redis", e))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        self.store("writing a session to Redis", key, value, ttl, None)
            .await
            .map(drop)
    }

    async fn add(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        self.store("adding a session to Redis", key, value, ttl, Some("NX"))
            .await
    }

    async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        self.store("replacing a session in Redis", key, value, ttl, Some("XX"))
            .await
    }

    fn supports_compare_and_swap(&self) -> bool {
        true
    }

    /// A Lua script, sent by `EVALSHA` (and once by `EVAL` when the server does not know it
    /// yet): atomic on Redis and on a Cluster (one key, one slot).
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Swap> {
        const WHAT: &str = "replacing a session in Redis";
        static SCRIPT: std::sync::LazyLock<redis::Script> =
            std::sync::LazyLock::new(|| redis::Script::new(COMPARE_AND_SWAP));
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut invocation = SCRIPT.key(key);
        invocation.arg(expected).arg(value).arg(millis);
        let connection = self.connection.clone();
        let outcome: i64 = self
            .timeouts
            .bound(WHAT, async move {
                match connection {
                    Connection::Single(mut c) => invocation.invoke_async(&mut c).await,
                    Connection::Cluster(mut c) => invocation.invoke_async(&mut c).await,
                }
                .map_err(failed(WHAT))
            })
            .await?;
        match outcome {
            0 => Ok(Swap::Missing),
            1 => Ok(Swap::Changed),
            2 => Ok(Swap::Swapped),
            other => Err(Error::backend_msg(format!(
                "{WHAT}: unexpected script reply {other}"
            ))),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(key);
        self.run("deleting a session from Redis", cmd)
            .await
            .map(drop)
    }

    fn has_sets(&self) -> bool {
        true
    }

    /// `SADD` and `PERSIST`, in one script. The set keeps no TTL: its sessions' expiries move
    /// on with every save, so any TTL given at login could drop a live session from the
    /// index; members of ended sessions are removed as the index is read (each login).
    async fn set_add(&self, key: &str, member: &str, _ttl: Duration) -> Result<()> {
        const SCRIPT: &str =
            "redis.call('SADD', KEYS[1], ARGV[1]) redis.call('PERSIST', KEYS[1]) return 1";
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(SCRIPT).arg(1).arg(key).arg(member);
        self.run("indexing a user's session in Redis", cmd)
            .await
            .map(drop)
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        const WHAT: &str = "reading a user's sessions from Redis";
        let mut cmd = redis::cmd("SMEMBERS");
        cmd.arg(key);
        redis::from_redis_value(self.run(WHAT, cmd).await?).map_err(|e| Error::backend(WHAT, e))
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<()> {
        let mut cmd = redis::cmd("SREM");
        cmd.arg(key).arg(member);
        self.run("forgetting a user's session in Redis", cmd)
            .await
            .map(drop)
    }

    /// A single server only: a Cluster spreads keys over its masters, each with its own
    /// `SCAN` cursor.
    fn can_scan(&self) -> bool {
        matches!(self.connection, Connection::Single(_))
    }

    /// `SCAN cursor MATCH <prefix>* COUNT count`.
    async fn scan(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        count: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        if !self.can_scan() {
            return Err(Error::config(
                "listing sessions on a Redis Cluster is not supported: list them on each master",
            ));
        }
        const WHAT: &str = "listing sessions in Redis";
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor.unwrap_or("0"))
            .arg("MATCH")
            .arg(format!("{}*", glob_escape(prefix)))
            .arg("COUNT")
            .arg(count.max(1));
        let (next, keys): (String, Vec<String>) =
            redis::from_redis_value(self.run(WHAT, cmd).await?)
                .map_err(|e| Error::backend(WHAT, e))?;
        Ok((keys, (next != "0").then_some(next)))
    }
}

/// `text` with Redis's glob characters escaped, to match itself.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(super::glob_escape("a*b?[c]\\d:"), "a\\*b\\?\\[c\\]\\\\d:");
    }
}
