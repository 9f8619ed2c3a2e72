//! The engines `session-bench` knows, each with its raw baseline. Adding an engine is one
//! [`EngineSpec`] in [`all`] and one `open` function returning an [`Opened`] (or a
//! [`Skip`] when its server is not there).

mod cache;
mod cachedb;
mod cookie;
mod db;
mod file;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use session_core::{Result, SessionStore, StoreContext};

use crate::baselines::Raw;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Removes what an engine created (its table, keys, directory).
pub type Teardown = Box<dyn FnOnce() -> BoxFuture<Result<()>> + Send>;

/// What an engine's `open` gets.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Settings, codec and clock for the store.
    pub ctx: StoreContext,
    /// Unique to this run, `[a-z0-9]`: the engines' table names and key prefixes use it.
    pub run_id: String,
    /// A directory for this run's files (removed by the caller afterwards).
    pub work_dir: PathBuf,
    /// The engine's name.
    pub engine: &'static str,
}

impl Setup {
    /// The engine's own table: `bench_<run>_<engine>`.
    pub fn table(&self) -> String {
        format!("bench_{}_{}", self.run_id, self.engine.replace('-', "_"))
    }

    /// The engine's own cache key prefix: `sessions-bench:<run>:<engine>:`.
    pub fn prefix(&self) -> String {
        format!("sessions-bench:{}:{}:", self.run_id, self.engine)
    }
}

/// Capacity of the benchmark's in-process caches. With the 64 MiB default, the create
/// cells fill the cache and moka's admission policy then turns away the sessions the next
/// cells seed (a full TinyLFU cache prefers the entries it has): the run would measure
/// refusals, not the cache. moka allocates only what is stored.
pub const MEMORY_CACHE_BYTES: u64 = 4 << 30;

/// How long the benchmark's sessions and raw entries live: caches without a way to list
/// keys (memcached) drop what the run left this long after it.
pub const BENCH_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// An engine ready to benchmark.
pub struct Opened {
    /// The store, as an application holds it.
    pub store: Arc<dyn SessionStore>,
    /// The raw client on the same backend, when there is one.
    pub raw: Option<Arc<dyn Raw>>,
    /// Cleans up after the run.
    pub teardown: Teardown,
}

impl Opened {
    /// An engine with nothing to clean up beyond the run's directory.
    pub fn new(store: Arc<dyn SessionStore>, raw: Option<Arc<dyn Raw>>) -> Self {
        Opened {
            store,
            raw,
            teardown: Box::new(|| Box::pin(async { Ok(()) })),
        }
    }
}

/// Why an engine was not benchmarked (its server did not answer, its URL is unset...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip(pub String);

/// One engine the benchmark can run.
#[derive(Clone, Copy)]
pub struct EngineSpec {
    /// The name in reports and for `--engine`.
    pub name: &'static str,
    /// True when it needs a server (only embedded engines run on a bare machine).
    pub networked: bool,
    /// Opens the engine and its raw baseline.
    pub open: fn(Setup) -> BoxFuture<std::result::Result<Opened, Skip>>,
}

impl std::fmt::Debug for EngineSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSpec")
            .field("name", &self.name)
            .field("networked", &self.networked)
            .finish()
    }
}

/// Every engine, embedded ones first.
pub fn all() -> Vec<EngineSpec> {
    vec![
        EngineSpec {
            name: "sqlite-file",
            networked: false,
            open: |s| Box::pin(db::sqlite_file(s)),
        },
        EngineSpec {
            name: "sqlite-memory",
            networked: false,
            open: |s| Box::pin(db::sqlite_memory(s)),
        },
        EngineSpec {
            name: "file",
            networked: false,
            open: |s| Box::pin(file::open(s)),
        },
        EngineSpec {
            name: "memory",
            networked: false,
            open: |s| Box::pin(cache::memory_store(s)),
        },
        EngineSpec {
            name: "memory-cache",
            networked: false,
            open: |s| Box::pin(cache::memory(s)),
        },
        EngineSpec {
            name: "signed-cookie",
            networked: false,
            open: |s| Box::pin(cookie::signed(s)),
        },
        EngineSpec {
            name: "encrypted-cookie",
            networked: false,
            open: |s| Box::pin(cookie::encrypted(s)),
        },
        EngineSpec {
            name: "cachedb-memory-sqlite",
            networked: false,
            open: |s| Box::pin(cachedb::memory_sqlite(s)),
        },
        EngineSpec {
            name: "postgres",
            networked: true,
            open: |s| Box::pin(db::postgres(s)),
        },
        EngineSpec {
            name: "mariadb",
            networked: true,
            open: |s| Box::pin(db::mariadb(s)),
        },
        EngineSpec {
            name: "redis",
            networked: true,
            open: |s| Box::pin(cache::redis(s)),
        },
        EngineSpec {
            name: "redis-cluster",
            networked: true,
            open: |s| Box::pin(cache::redis_cluster(s)),
        },
        EngineSpec {
            name: "memcached",
            networked: true,
            open: |s| Box::pin(cache::memcached(s)),
        },
        EngineSpec {
            name: "cachedb-redis-postgres",
            networked: true,
            open: |s| Box::pin(cachedb::redis_postgres(s)),
        },
        EngineSpec {
            name: "cachedb-memcached-mariadb",
            networked: true,
            open: |s| Box::pin(cachedb::memcached_mariadb(s)),
        },
    ]
}

/// The engines `filter` selects: names, `embedded`, `networked` or `all` (empty = all).
/// An unknown name is an error listing the known ones.
pub fn select(filter: &[String]) -> std::result::Result<Vec<EngineSpec>, String> {
    let engines = all();
    if filter.is_empty() {
        return Ok(engines);
    }
    for name in filter {
        let known = matches!(name.as_str(), "all" | "embedded" | "networked")
            || engines.iter().any(|e| e.name == name);
        if !known {
            let names: Vec<_> = engines.iter().map(|e| e.name).collect();
            return Err(format!(
                "unknown engine {name:?}: use all, embedded, networked or one of {}",
                names.join(", ")
            ));
        }
    }
    Ok(engines
        .into_iter()
        .filter(|e| {
            filter.iter().any(|f| match f.as_str() {
                "all" => true,
                "embedded" => !e.networked,
                "networked" => e.networked,
                name => e.name == name,
            })
        })
        .collect())
}

/// `url` without its user and password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The URL in `var`, or the README's default for the test services.
pub fn env_url(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_embedded_first() {
        let engines = all();
        let mut names: Vec<_> = engines.iter().map(|e| e.name).collect();
        let first_networked = engines.iter().position(|e| e.networked).unwrap();
        assert!(engines[first_networked..].iter().all(|e| e.networked));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), engines.len());
    }

    #[test]
    fn selection_by_name_and_group() {
        let names = |f: &[&str]| -> Vec<&str> {
            select(&f.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap()
                .iter()
                .map(|e| e.name)
                .collect()
        };
        assert_eq!(names(&["file"]), ["file"]);
        assert!(names(&["embedded"]).contains(&"sqlite-memory"));
        assert!(!names(&["embedded"]).contains(&"postgres"));
        assert_eq!(names(&[]).len(), all().len());
        assert!(
            select(&["oracle".into()])
                .unwrap_err()
                .contains("sqlite-file")
        );
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact("postgres://user:pw@127.0.0.1:5432/test"),
            "postgres://127.0.0.1:5432/test"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
