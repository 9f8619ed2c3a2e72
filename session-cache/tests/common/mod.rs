//! Where the test servers are, and private servers a test may kill.

#![allow(dead_code, unused_imports)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use session_core::{SessionRecord, SessionSettings, StoreContext};

pub use session_test_support::services::{
    memcached_urls, redis_cluster_urls as cluster_urls, redis_url, required as services_required,
};

/// A context on the system clock with a fixed secret.
pub fn context() -> StoreContext {
    StoreContext::new(SessionSettings::new("session-cache-test-secret").unwrap())
}

/// A record of `entries` as the session handle would save it now.
pub fn record(ctx: &StoreContext, entries: serde_json::Value) -> SessionRecord {
    let data = entries.as_object().cloned().unwrap_or_default();
    let expires_at = ctx.expiry_date(&data, ctx.now());
    SessionRecord::new(data, expires_at)
}

/// A one-entry record living the cookie age.
pub fn plain_record(ctx: &StoreContext) -> SessionRecord {
    record(ctx, json!({"user": 42}))
}

/// Which server a [`PrivateServer`] runs.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Redis,
    Memcached,
}

/// A server of our own on a free loopback port, for tests that kill it. Killed on drop.
#[derive(Debug)]
pub struct PrivateServer {
    kind: Kind,
    port: u16,
    child: Option<Child>,
}

impl PrivateServer {
    /// A stopped server; `None` (with a "skipped" line) when its binary is missing and
    /// services are not required.
    pub fn new(kind: Kind) -> Option<Self> {
        let binary = match kind {
            Kind::Redis => "redis-server",
            Kind::Memcached => "memcached",
        };
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {binary}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                !services_required(),
                "{binary} is not installed (run scripts/services)"
            );
            eprintln!("skipped: {binary} is not installed");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Some(PrivateServer {
            kind,
            port,
            child: None,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let port = self.port.to_string();
        let mut command = match self.kind {
            Kind::Redis => {
                let mut c = Command::new("redis-server");
                c.args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
                    .args(["--appendonly", "no", "--daemonize", "no"]);
                c
            }
            Kind::Memcached => {
                let mut c = Command::new("memcached");
                c.args(["-l", "127.0.0.1", "-p", &port, "-U", "0", "-m", "16"]);
                if is_root() {
                    c.args(["-u", "nobody"]);
                }
                c
            }
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting a private server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.address()).is_err() {
            assert!(
                Instant::now() < deadline,
                "the private server did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the server (SIGKILL, like a crash) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A TCP server that accepts connections and never answers: a hung cache server.
pub fn silent_server() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            match listener.accept() {
                Ok((socket, _)) => held.push(socket),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (address, handle)
}
