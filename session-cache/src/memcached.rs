//! [`MemcachedCache`]: one or several memcached servers through the `memcache` crate's
//! async meta-protocol client.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use memcache::exp::{AsyncMemcache, Decode, FLAG_STR, Meta, MutationStatus, Router, Ttl};
use session_core::{Error, Result, async_trait};

use crate::cache::{Cache, Swap};
use crate::timeouts::Timeouts;

/// Memcached servers, keys spread over them by rendezvous hashing: `add` to create,
/// `replace` to save, `mg` to read, `md` to delete.
///
/// Under `SESSION_CONFLICTS=detect` a load reads the item's CAS token with its value
/// ([`Cache::get_versioned`]) and the save is an `ms` with that token: two round trips,
/// as without detection.
///
/// Connections are pooled per server and dialed on demand, with the [`Timeouts`]' connect
/// timeout; every exchange has the response timeout, and a connection that timed out is
/// discarded, never reused half-read. A server that is down fails the calls routed to it
/// within [`Timeouts::operation`], and the first call after it is back dials a fresh
/// connection. TTLs over 30 days are sent as an absolute unix time, memcached's rule, and
/// end at the latest in January 2038: memcached reads the time as a signed 32-bit number
/// and would store anything later as already expired.
///
/// ```no_run
/// use session_cache::{MemcachedCache, Timeouts};
/// # async fn demo() -> session_core::Result<()> {
/// let cache = MemcachedCache::connect(
///     ["memcache://127.0.0.1:11211", "127.0.0.1:11212"],
///     Timeouts::default(),
/// ).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MemcachedCache {
    client: AsyncMemcache,
    servers: Vec<String>,
    timeouts: Timeouts,
}

impl std::fmt::Debug for MemcachedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemcachedCache")
            .field("servers", &self.servers)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

fn failed(what: &'static str) -> impl FnOnce(memcache::exp::Error) -> Error {
    move |e| Error::backend(what, e)
}

/// How a version that is an item's CAS token starts ([`Cache::get_versioned`]): the
/// values sessions are stored as (signed strings: base64, `.` and `:`) never hold a space.
const CAS_VERSION: &str = "memcached-cas ";

/// The version of the item under `key` with CAS token `cas`: the token, and a hash of the
/// key, since a token is unique only on its own server and a version read under one key
/// may be tried on another (a session moving to its key's new hash).
fn cas_version(key: &str, cas: u64) -> String {
    format!("{CAS_VERSION}{cas} {:016x}", fnv1a(key.as_bytes()))
}

/// The token and key hash in a version [`cas_version`] made; `None` for a value.
fn cas_token(version: &str) -> Option<(u64, u64)> {
    let (cas, key) = version.strip_prefix(CAS_VERSION)?.split_once(' ')?;
    Some((cas.parse().ok()?, u64::from_str_radix(key, 16).ok()?))
}

impl MemcachedCache {
    /// A cache over `servers`, each `host:port` or `memcache://host:port`. Addresses are
    /// resolved now; connections are opened by the first calls, so this succeeds while a
    /// server is down.
    pub async fn connect(
        servers: impl IntoIterator<Item = impl AsRef<str>>,
        timeouts: Timeouts,
    ) -> Result<Self> {
        let servers = servers
            .into_iter()
            .map(|s| server_address(s.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        if servers.is_empty() {
            return Err(Error::config("no memcached server given"));
        }
        let client = AsyncMemcache::builder()
            .connect_timeout(timeouts.connect_timeout())
            .timeout(timeouts.response_timeout())
            .router(StableRendezvous)
            .connect_async(servers.iter().map(String::as_str))
            .await
            .map_err(failed("resolving the memcached servers"))?;
        Ok(MemcachedCache {
            client,
            servers,
            timeouts,
        })
    }

    /// The servers, as `host:port`.
    pub fn servers(&self) -> &[String] {
        &self.servers
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// `ms` with `C<cas>`: stored only if the item is still the one read with that token.
    async fn swap_at(&self, key: &str, cas: u64, value: &str, ttl_: Duration) -> Result<Swap> {
        const WHAT: &str = "replacing a session in memcached";
        let stored = self
            .timeouts
            .bound(WHAT, async {
                self.client
                    .meta()
                    .set(key, value)
                    // What the client's own string writes store.
                    .client_flags(FLAG_STR)
                    .ttl(ttl(ttl_, SystemTime::now()))
                    .compare_cas(cas)
                    .send()
                    .await
                    .map_err(failed(WHAT))
            })
            .await?;
        match stored.status {
            MutationStatus::Applied => Ok(Swap::Swapped),
            MutationStatus::CasMismatch => Ok(Swap::Changed),
            MutationStatus::NotFound => Ok(Swap::Missing),
            other => Err(Error::backend_msg(format!(
                "{WHAT}: unexpected answer {other:?}"
            ))),
        }
    }

    /// `mg` with the item's CAS token, then `ms` with `C<token>` (memcached's `gets` and
    /// `cas`): stored only if the value is `expected` and nobody wrote in between. The
    /// client retries a lost race itself, and the retry then sees the other value:
    /// [`Swap::Changed`].
    async fn swap_if_value(
        &self,
        key: &str,
        expected: &str,
        value: &str,
        ttl_: Duration,
    ) -> Result<Swap> {
        const WHAT: &str = "replacing a session in memcached";
        /// Why the update stopped without writing.
        #[derive(Debug, Clone, Copy)]
        struct Stop(Swap);
        impl std::fmt::Display for Stop {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
        impl std::error::Error for Stop {}
        let updated = self
            .timeouts
            .bound(WHAT, async {
                Ok(self
                    .client
                    .try_update::<String, Stop, _, _>(
                        key,
                        ttl(ttl_, SystemTime::now()),
                        |current| {
                            std::future::ready(match current {
                                None => Err(Stop(Swap::Missing)),
                                Some(current) if current == expected => Ok(value.to_owned()),
                                Some(_) => Err(Stop(Swap::Changed)),
                            })
                        },
                    )
                    .await)
            })
            .await?;
        match updated {
            Ok(_) => Ok(Swap::Swapped),
            Err(error) => match error.callback::<Stop>() {
                Some(Stop(outcome)) => Ok(*outcome),
                None => Err(Error::backend(WHAT, error)),
            },
        }
    }
}

/// `host:port` out of `memcache://host:port[/][?...]` or `host:port`.
fn server_address(raw: &str) -> Result<String> {
    let rest = raw.strip_prefix("memcache://").unwrap_or(raw);
    let address = rest.split(['/', '?']).next().unwrap_or_default();
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(address.to_owned())
        }
        _ => Err(Error::config(format!(
            "memcached server {raw:?} is not host:port or memcache://host:port"
        ))),
    }
}

/// The latest expiry memcached keeps: it parses the absolute time as an `int32`, and a
/// later one (up to the client's `u32`) is stored already expired.
const LATEST_EXPIRY: u64 = i32::MAX as u64;

/// Memcached's TTL for `ttl` from `now`: whole seconds, rounded up (the client sends more
/// than 30 days as an absolute unix time), and never past [`LATEST_EXPIRY`].
fn ttl(ttl: Duration, now: SystemTime) -> Ttl {
    let secs = (ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0)).max(1);
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    match u32::try_from(secs) {
        Ok(secs) if now.saturating_add(u64::from(secs)) < LATEST_EXPIRY => Ttl::secs(secs),
        _ => Ttl::at(UNIX_EPOCH + Duration::from_secs(LATEST_EXPIRY)),
    }
}

/// Rendezvous hashing on FNV-1a: every process, whatever Rust it was built with, sends a
/// key to the same server (the library's default hash is Rust's `DefaultHasher`, which
/// is not promised to stay the same across releases).
struct StableRendezvous;

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64's finaliser: spreads the combined hash over all 64 bits.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Router for StableRendezvous {
    fn route(&self, key: &[u8], servers: &[String]) -> usize {
        let key = fnv1a(key);
        (0..servers.len())
            .max_by_key(|&i| {
                (
                    mix(key ^ fnv1a(servers[i].as_bytes())),
                    std::cmp::Reverse(i),
                )
            })
            .unwrap_or(0)
    }
}

#[async_trait]
impl Cache for MemcachedCache {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        const WHAT: &str = "reading a session from memcached";
        self.timeouts
            .bound(WHAT, async {
                self.client.get::<String>(key).await.map_err(failed(WHAT))
            })
            .await
    }

    /// `mg <key> v c`: the value and, as its version, the item's CAS token (written
    /// `memcached-cas <token> <key hash>`, which no stored value is).
    async fn get_versioned(&self, key: &str) -> Result<Option<(String, String)>> {
        const WHAT: &str = "reading a session from memcached";
        let read = self
            .timeouts
            .bound(WHAT, async {
                self.client
                    .meta()
                    .get(key)
                    .meta(Meta::NONE.cas())
                    .send()
                    .await
                    .map_err(failed(WHAT))
            })
            .await?;
        if !read.hit() {
            return Ok(None);
        }
        // A zero-byte item is none, as `get` reads it (the client's placeholder).
        let Some(bytes) = read.value.filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let value = String::decode(bytes, FLAG_STR).map_err(|e| Error::backend(WHAT, e))?;
        // A server run with CAS disabled (`-C`) gives every item 0, which would always match.
        let version = match read.item.cas {
            Some(cas) if cas != 0 => cas_version(key, cas),
            _ => value.clone(),
        };
        Ok(Some((value, version)))
    }

    async fn set(&self, key: &str, value: &str, ttl_: Duration) -> Result<()> {
        const WHAT: &str = "writing a session to memcached";
        self.timeouts
            .bound(WHAT, async {
                self.client
                    .set(key, value, ttl(ttl_, SystemTime::now()))
                    .await
                    .map_err(failed(WHAT))
            })
            .await
    }

    async fn add(&self, key: &str, value: &str, ttl_: Duration) -> Result<bool> {
        const WHAT: &str = "adding a session to memcached";
        self.timeouts
            .bound(WHAT, async {
                self.client
                    .add(key, value, ttl(ttl_, SystemTime::now()))
                    .await
                    .map_err(failed(WHAT))
            })
            .await
    }

    async fn replace(&self, key: &str, value: &str, ttl_: Duration) -> Result<bool> {
        const WHAT: &str = "replacing a session in memcached";
        self.timeouts
            .bound(WHAT, async {
                self.client
                    .replace(key, value, ttl(ttl_, SystemTime::now()))
                    .await
                    .map_err(failed(WHAT))
            })
            .await
    }

    fn supports_compare_and_swap(&self) -> bool {
        true
    }

    /// With a version [`get_versioned`](Cache::get_versioned) made, one `ms` with its CAS
    /// token. With a value, `mg` for the token first and a comparison of the values. An
    /// `expected` that starts with `memcached-cas ` is always read as a version, so a cache
    /// whose values may look like that should not call this with values.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &str,
        value: &str,
        ttl_: Duration,
    ) -> Result<Swap> {
        match cas_token(expected) {
            Some((cas, of)) if of == fnv1a(key.as_bytes()) => {
                self.swap_at(key, cas, value, ttl_).await
            }
            // Read under another key: whatever is under this one is not what was read.
            Some(_) => Ok(match self.get(key).await? {
                Some(_) => Swap::Changed,
                None => Swap::Missing,
            }),
            None => self.swap_if_value(key, expected, value, ttl_).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        const WHAT: &str = "deleting a session from memcached";
        self.timeouts
            .bound(WHAT, async {
                self.client.delete(key).await.map_err(failed(WHAT))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_and_without_scheme() {
        assert_eq!(
            server_address("memcache://127.0.0.1:11211").unwrap(),
            "127.0.0.1:11211"
        );
        assert_eq!(server_address("memcache://h:1/?timeout=1").unwrap(), "h:1");
        assert_eq!(server_address("h:2").unwrap(), "h:2");
        assert!(server_address("memcache://nohost").is_err());
        assert!(server_address(":11211").is_err());
    }

    #[test]
    fn cas_versions_are_never_values() {
        let version = cas_version("k", 42);
        assert_eq!(cas_token(&version), Some((42, fnv1a(b"k"))));
        let value = "eyJuIjoxfQ:1r31eq:AAAA-_.";
        for plain in [value, "memcached-cas 42", "memcached-cas x 1", ""] {
            assert_eq!(cas_token(plain), None, "{plain:?}");
        }
    }

    #[test]
    fn ttl_rounds_up_to_whole_seconds() {
        let now = SystemTime::now();
        assert_eq!(ttl(Duration::from_millis(1500), now), Ttl::secs(2));
        assert_eq!(ttl(Duration::from_millis(1), now), Ttl::secs(1));
        assert_eq!(
            ttl(Duration::from_secs(40 * 86_400), now),
            Ttl::secs(40 * 86_400)
        );
    }

    #[test]
    fn ttl_ends_in_january_2038_at_the_latest() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let latest = Ttl::at(UNIX_EPOCH + Duration::from_secs(2_147_483_647));
        let left = 2_147_483_647 - 1_800_000_000;
        assert_eq!(
            ttl(Duration::from_secs(left - 1), now),
            Ttl::secs(left as u32 - 1)
        );
        for far in [left, 100 * 365 * 86_400, u64::from(u32::MAX) + 1, u64::MAX] {
            assert_eq!(ttl(Duration::from_secs(far), now), latest, "{far}");
        }
    }

    #[test]
    fn routing_is_stable_and_uses_every_server() {
        let servers = vec!["a:1".to_owned(), "b:2".to_owned()];
        let mut counts = [0; 2];
        for i in 0..1000 {
            let key = format!("django.contrib.sessions.cache{i:032}");
            let first = StableRendezvous.route(key.as_bytes(), &servers);
            assert_eq!(first, StableRendezvous.route(key.as_bytes(), &servers));
            counts[first] += 1;
        }
        assert!(counts.iter().all(|&c| c > 300), "{counts:?}");
        // FNV-1a of the empty input is its offset basis: the hash is the published one.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
