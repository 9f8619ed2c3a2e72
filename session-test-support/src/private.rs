//! [`PrivateServer`]: a Redis, Memcached or PostgreSQL server of the test's own, on a free
//! loopback port with its own temporary directory, that the test may kill with SIGKILL and
//! start again on the same port and data. The shared servers of `scripts/services` are never
//! touched.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::services::required;

/// How long a server may take to answer after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server, and how it keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Redis keeping nothing on disk.
    Redis,
    /// Redis with `appendonly yes` and `appendfsync always`: every acknowledged write is
    /// in the append-only file before the reply.
    RedisAof,
    Memcached,
    /// PostgreSQL with its WAL, `fsync` and `synchronous_commit` on (the defaults, set
    /// explicitly).
    Postgres {
        bin: &'static str,
        version: u32,
    },
}

/// A server of the test's own. It starts stopped: call [`start`](Self::start). It is killed
/// and its directory removed on drop.
///
/// ```no_run
/// use session_test_support::PrivateServer;
/// let Some(mut redis) = PrivateServer::redis_aof() else { return }; // skipped: not installed
/// redis.start();
/// let url = redis.url(); // redis://127.0.0.1:<port>
/// // ... use it ...
/// redis.kill9(); // SIGKILL, like a crash
/// redis.start(); // same port, same data directory
/// ```
///
/// A constructor returns `None` after a "skipped" line when the server's binary is not
/// installed, and panics instead under `SESSIONS_TEST_REQUIRE_SERVICES=1`
/// ([`services::required`](crate::services::required)), like every service test.
///
/// PostgreSQL refuses to run as root: when the test runs as root, `initdb` and `postgres`
/// run as the `postgres` OS user, which owns the temporary directory. Memcached, run as
/// root, drops to `nobody` itself.
#[derive(Debug)]
pub struct PrivateServer {
    kind: Kind,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateServer {
    /// A Redis that keeps nothing on disk.
    pub fn redis() -> Option<Self> {
        Self::new(Kind::Redis, "redis-server")
    }

    /// A Redis with `appendonly yes` and `appendfsync always`: a restart loads every write
    /// it acknowledged.
    pub fn redis_aof() -> Option<Self> {
        Self::new(Kind::RedisAof, "redis-server")
    }

    /// A Memcached (16 MiB); it keeps nothing across a restart.
    pub fn memcached() -> Option<Self> {
        Self::new(Kind::Memcached, "memcached")
    }

    /// A PostgreSQL from the newest `/usr/lib/postgresql/*/bin`, its cluster created by
    /// `initdb` (user `postgres`, trust authentication on loopback, database `postgres`).
    pub fn postgres() -> Option<Self> {
        let Some((bin, version)) = postgres_bin() else {
            return missing("PostgreSQL (/usr/lib/postgresql/*/bin/postgres)");
        };
        let server = Self::new(Kind::Postgres { bin, version }, &format!("{bin}/postgres"))?;
        server.initdb(bin);
        Some(server)
    }

    fn new(kind: Kind, binary: &str) -> Option<Self> {
        if !installed(binary) {
            return missing(binary);
        }
        let dir = tempfile::Builder::new()
            .prefix("session-test-server-")
            .tempdir()
            .expect("a temporary directory");
        if let (Kind::Postgres { .. }, Some((uid, gid))) = (kind, postgres_user()) {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("giving the PostgreSQL directory to the postgres user");
        }
        Some(PrivateServer {
            kind,
            port: free_port(),
            dir,
            child: None,
        })
    }

    /// The port it listens on, the same across restarts.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The URL the engines take: `redis://127.0.0.1:<port>`, `memcache://127.0.0.1:<port>`
    /// or `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        let address = self.address();
        match self.kind {
            Kind::Redis | Kind::RedisAof => format!("redis://{address}"),
            Kind::Memcached => format!("memcache://{address}"),
            Kind::Postgres { .. } => format!("postgres://postgres@{address}/postgres"),
        }
    }

    /// Whether it was started and not killed since.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the server on its port and data directory and returns once it answers (Redis:
    /// `PING` after the append-only file is loaded; Memcached: `version`; PostgreSQL:
    /// `pg_isready`, after crash recovery). Panics if it does not answer within 30 s; its
    /// log (in its directory) is quoted then.
    pub fn start(&mut self) {
        assert!(
            self.child.is_none(),
            "the private server is already running"
        );
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let mut child = self.command().spawn().expect("spawning a private server");
            loop {
                if self.answers() {
                    self.child = Some(child);
                    return;
                }
                // A server still shutting down may hold the port or (PostgreSQL) the shared
                // memory for a moment: one that exits at start is tried again.
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    kill_tree(&mut child);
                    panic!("the private server did not start:\n{}", self.log());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            assert!(
                Instant::now() < deadline,
                "the private server did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server with SIGKILL, every process of it (PostgreSQL's backends too), as a
    /// crash would, and returns once they are gone. Nothing is flushed or shut down.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(&mut child);
        }
    }

    /// [`kill9`](Self::kill9) if running, then [`start`](Self::start).
    pub fn restart(&mut self) {
        self.kill9();
        self.start();
    }

    /// What the server wrote to its standard output and error, for a failure message.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Where the server's output goes (opened here, so a server running as another user
    /// can write it).
    fn log_file(&self) -> Stdio {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .map_or_else(|_| Stdio::null(), Stdio::from)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self) -> Command {
        let port = self.port.to_string();
        let dir = self.dir.path();
        let mut command = match self.kind {
            Kind::Redis | Kind::RedisAof => {
                let mut c = Command::new("redis-server");
                c.args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
                    .args(["--daemonize", "no", "--dir"])
                    .arg(dir);
                if self.kind == Kind::RedisAof {
                    c.args(["--appendonly", "yes", "--appendfsync", "always"]);
                } else {
                    c.args(["--appendonly", "no"]);
                }
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
            Kind::Postgres { bin, version } => {
                let mut c = as_postgres(format!("{bin}/postgres"));
                c.arg("-D").arg(self.data_dir()).args(["-p", &port]);
                for setting in [
                    "listen_addresses=127.0.0.1",
                    "unix_socket_directories=",
                    "fsync=on",
                    "synchronous_commit=on",
                    "max_connections=40",
                    "shared_buffers=16MB",
                ] {
                    c.args(["-c", setting]);
                }
                if version >= 14 {
                    // After a crash, sync the data directory with one syncfs() instead of
                    // an fsync() per file (seconds for a fresh cluster).
                    c.args(["-c", "recovery_init_sync_method=syncfs"]);
                }
                c
            }
        };
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(self.log_file())
            .stderr(self.log_file());
        command
    }

    fn initdb(&self, bin: &str) {
        let output = as_postgres(format!("{bin}/initdb"))
            .arg("-D")
            .arg(self.data_dir())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync") // the cluster is thrown away; the server's own writes fsync
            .current_dir(self.dir.path())
            .output()
            .expect("running initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn answers(&self) -> bool {
        match self.kind {
            Kind::Redis | Kind::RedisAof => says(self.address(), b"PING\r\n", b"+PONG"),
            Kind::Memcached => says(self.address(), b"version\r\n", b"VERSION"),
            Kind::Postgres { bin, .. } => Command::new(format!("{bin}/pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args(["-U", "postgres", "-d", "postgres", "-t", "1"])
                .status()
                .is_ok_and(|s| s.success()),
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn missing<T>(what: &str) -> Option<T> {
    assert!(
        !required(),
        "{what} is not installed (run scripts/services)"
    );
    eprintln!("skipped: {what} is not installed");
    None
}

fn installed(binary: &str) -> bool {
    if binary.contains('/') {
        return Path::new(binary).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(binary).is_file()))
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `postgres` and `initdb`, and its
/// version.
fn postgres_bin() -> Option<(&'static str, u32)> {
    static BIN: std::sync::OnceLock<Option<(String, u32)>> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version = entry.file_name().to_str()?.parse().ok()?;
                let bin = entry.path().join("bin");
                (bin.join("postgres").is_file() && bin.join("initdb").is_file())
                    .then_some((version, bin))
            })
            .collect();
        found.sort();
        let (version, bin) = found.pop()?;
        Some((bin.to_string_lossy().into_owned(), version))
    })
    .as_ref()
    .map(|(bin, version)| (bin.as_str(), *version))
}

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() == 0 }
}

/// The postgres user's uid and gid when the test runs as root (PostgreSQL refuses root).
fn postgres_user() -> Option<(u32, u32)> {
    if !is_root() {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let output = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("running id");
        assert!(
            output.status.success(),
            "running PostgreSQL as root needs a postgres user (the postgresql package creates it)"
        );
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("a numeric id")
    };
    Some((id("-u"), id("-g")))
}

/// `program`, run as the postgres user when the test runs as root.
fn as_postgres(program: String) -> Command {
    let mut command = Command::new(program);
    if let Some((uid, gid)) = postgres_user() {
        command.uid(uid).gid(gid);
    }
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Whether the server at `address` answers `request` with a reply starting `expected`.
fn says(address: SocketAddr, request: &[u8], expected: &[u8]) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = vec![0; expected.len()];
    stream.write_all(request).is_ok() && stream.read_exact(&mut reply).is_ok() && reply == expected
}

/// SIGKILLs `child` and every process descended from it (PostgreSQL's backends are
/// session leaders of their own, so a process-group kill would miss them), then reaps
/// `child` and waits until the others are gone.
fn kill_tree(child: &mut Child) {
    let root = child.id() as libc::pid_t;
    // Stopped, it forks no more; its children are found while still its children.
    signal(root, libc::SIGSTOP);
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        tree.extend(children(tree[i]));
        i += 1;
    }
    for &pid in &tree {
        signal(pid, libc::SIGKILL);
    }
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tree[1..].iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions; the pid is one this test spawned
    // or one of its descendants.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// `(state, parent)` of `pid` from `/proc/<pid>/stat`.
fn stat(pid: libc::pid_t) -> Option<(char, libc::pid_t)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
}

fn children(parent: libc::pid_t) -> Vec<libc::pid_t> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&pid| stat(pid).is_some_and(|(_, ppid)| ppid == parent))
        .collect()
}

/// Running or sleeping; a zombie has already let go of its port and memory.
fn alive(pid: libc::pid_t) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}
