//! Containers for the test servers whose variables are unset (feature `testcontainers`).
//!
//! Each server is one named container marked for reuse: the first test process that needs
//! it starts it, every later process (nextest runs one per test) and every later run finds
//! it by name, and it outlives them all. `docker rm -f` with the names below removes them.

use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use testcontainers::bollard::Docker;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::query_parameters::StartContainerOptions;
use testcontainers::core::IntoContainerPort;
use testcontainers::core::error::{ClientError, TestcontainersError};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerRequest, GenericImage, Image, ImageExt, ReuseDirective};
use testcontainers_modules::mariadb::Mariadb;
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::redis::Redis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio::time::{sleep, timeout};

/// The container names, one per server.
pub const NAMES: [&str; 5] = [
    "session-test-postgres",
    "session-test-mariadb",
    "session-test-redis",
    "session-test-memcached-1",
    "session-test-memcached-2",
];

/// How long a container may take to start and answer (the first run pulls its image).
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// What a server answers to show it is up, not just its port open.
struct Probe {
    hello: &'static [u8],
    answer: fn(&[u8]) -> bool,
}

const POSTGRES: Probe = Probe {
    // An SSLRequest: the server answers `S` or `N`.
    hello: &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f],
    answer: |reply| matches!(reply.first(), Some(b'S' | b'N')),
};
const MARIADB: Probe = Probe {
    // The server speaks first: a handshake packet of protocol version 10.
    hello: b"",
    answer: |reply| reply.get(4) == Some(&10),
};
const REDIS: Probe = Probe {
    hello: b"PING\r\n",
    answer: |reply| reply.starts_with(b"+PONG"),
};
const MEMCACHED: Probe = Probe {
    hello: b"version\r\n",
    answer: |reply| reply.starts_with(b"VERSION"),
};

/// The URL of a container serving `var` (`PG_URL`, `MYSQL_URL`, `REDIS_URL` or
/// `MEMCACHED_URLS`), started on first use; `None` for other variables, or (with a line on
/// stderr) when no container could be started, such as without a Docker engine.
pub(crate) fn url(var: &str) -> Option<String> {
    static URLS: [OnceLock<Option<String>>; 4] = [const { OnceLock::new() }; 4];
    let slot = ["PG_URL", "MYSQL_URL", "REDIS_URL", "MEMCACHED_URLS"]
        .iter()
        .position(|v| *v == var)?;
    URLS[slot]
        .get_or_init(|| match block_on(start(var.to_owned())) {
            Ok(url) => {
                eprintln!("{var} is not set: using the container at {url}");
                Some(url)
            }
            Err(e) => {
                eprintln!("{var} is not set and no container could be started ({e})");
                None
            }
        })
        .clone()
}

/// Runs `task` on a runtime of its own, so a caller inside a test's runtime can wait for it.
fn block_on(
    task: impl Future<Output = Result<String, String>> + Send + 'static,
) -> Result<String, String> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime for the containers")
    });
    let (done, result) = mpsc::channel();
    runtime.spawn(async move { done.send(task.await) });
    result
        .recv()
        .unwrap_or_else(|_| Err("the container task panicked".to_owned()))
}

async fn start(var: String) -> Result<String, String> {
    Ok(match var.as_str() {
        "PG_URL" => {
            let image = || {
                let postgres = Postgres::default().with_host_auth();
                postgres.with_db_name("test").with_tag("17-alpine")
            };
            let addr = serve(image, NAMES[0], 5432, POSTGRES).await?;
            format!("postgres://postgres@{addr}/test")
        }
        "MYSQL_URL" => {
            let image = || Mariadb::default().with_tag("11.4");
            let addr = serve(image, NAMES[1], 3306, MARIADB).await?;
            format!("mysql://root@{addr}/test")
        }
        "REDIS_URL" => {
            let image = || Redis::default().with_tag("7-alpine");
            let addr = serve(image, NAMES[2], 6379, REDIS).await?;
            format!("redis://{addr}")
        }
        _ => {
            let image =
                || GenericImage::new("memcached", "1.6-alpine").with_exposed_port(11211.tcp());
            let mut urls = Vec::new();
            for name in &NAMES[3..] {
                let addr = serve(image, name, 11211, MEMCACHED).await?;
                urls.push(format!("memcache://{addr}"));
            }
            urls.join(",")
        }
    })
}

/// Starts (or finds) the container `name` and waits until it answers on `port`; returns
/// the `host:port` it is reached on.
async fn serve<I: Image, R: Into<ContainerRequest<I>>>(
    image: impl Fn() -> R,
    name: &str,
    port: u16,
    probe: Probe,
) -> Result<String, String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let container = loop {
        let request = image().into().with_container_name(name);
        match request.with_reuse(ReuseDirective::Always).start().await {
            Ok(container) => break container,
            Err(TestcontainersError::Client(ClientError::CreateContainer(
                BollardError::DockerResponseServerError {
                    status_code: 409, ..
                },
            ))) if Instant::now() < deadline => {
                // The name is taken: another test process is creating the container, or
                // an earlier run left it stopped. Once it runs, `start` finds it.
                start_existing(name).await;
                sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(format!("{name}: {e}")),
        }
    };
    let fail = |e: TestcontainersError| format!("{name}: {e}");
    let host = container.get_host().await.map_err(fail)?.to_string();
    let port = container.get_host_port_ipv4(port).await.map_err(fail)?;
    while !answers(&host, port, &probe).await {
        if Instant::now() >= deadline {
            return Err(format!("{name} does not answer on {host}:{port}"));
        }
        sleep(Duration::from_millis(200)).await;
    }
    Ok(format!("{host}:{port}"))
}

async fn start_existing(name: &str) {
    if let Ok(docker) = Docker::connect_with_defaults() {
        let _ = docker
            .start_container(name, None::<StartContainerOptions>)
            .await;
    }
}

async fn answers(host: &str, port: u16, probe: &Probe) -> bool {
    let wait = Duration::from_secs(1);
    let Ok(Ok(mut stream)) = timeout(wait, TcpStream::connect((host, port))).await else {
        return false;
    };
    if stream.write_all(probe.hello).await.is_err() {
        return false;
    }
    let mut reply = [0; 16];
    matches!(timeout(wait, stream.read(&mut reply)).await, Ok(Ok(n)) if (probe.answer)(&reply[..n]))
}
