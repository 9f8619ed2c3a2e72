//! # session-test-support
//!
//! What this repository's tests need beyond the conformance suite, and what an engine
//! published on its own would not: where the shared test servers are ([`services`]), the
//! rule that a missing server fails a test under `scripts/test` instead of skipping it
//! ([`services::required`]), [`Outage`], a TCP proxy a test switches off and on to take
//! a server away from one engine without stopping it for the others, [`PrivateServer`], a
//! Redis, Memcached or PostgreSQL of the test's own that it may kill -9 and start again on
//! the same port and data, and [`kill9::crash_under_load`], which does that under load and
//! checks every call (the kill -9 suite of the engines).
//!
//! It is a crate of its own, not part of `session-conformance`, because `session-conformance`
//! is published and these are tied to this repository (`scripts/services`, its variables
//! and defaults, its CI rule). It is not merged into `django-interop` either: that crate
//! drives a real Django and nothing else, and the engine tests that need only a server URL
//! or an outage have no use for it. `capture_logs` stays in `session-conformance`, whose
//! codec cases check what is logged.
//!
//! ## Servers in containers
//!
//! `scripts/services` is the default way to get the servers: it starts them on loopback and
//! exports their URLs. Without it, the feature `testcontainers` runs them in Docker: when a
//! variable is unset, [`services::pg_url`], [`services::mysql_url`],
//! [`services::redis_url`], [`services::memcached_urls`] and [`services::configured`] start
//! a container for it once per test process (PostgreSQL 17, MariaDB 11.4, Redis 7, two
//! Memcached 1.6) and return its URL:
//!
//! ```sh
//! cargo nextest run --workspace --all-features   # --all-features includes testcontainers
//! cargo test -p session-db --all-features --features session-test-support/testcontainers
//! ```
//!
//! The containers are named (see `CONTAINER_NAMES`) and marked for reuse, so the test
//! processes of one run, and the runs after it, share them; they keep running until
//! `docker rm -f` removes them. The Docker engine is found as `testcontainers` finds it
//! (`DOCKER_HOST`, or the local socket). Without one, or when a container fails to start,
//! the variable's default URL is used after a line on stderr. A variable that is set always
//! wins, so `scripts/test`, which exports them all, never starts a container. Redis Cluster
//! (`REDIS_CLUSTER_URLS`) has no container: its tests need `scripts/services`.

#[cfg(feature = "testcontainers")]
mod containers;
mod outage;
mod private;

pub mod kill9;
pub mod services;

#[cfg(feature = "testcontainers")]
pub use containers::NAMES as CONTAINER_NAMES;
pub use outage::Outage;
pub use private::PrivateServer;
