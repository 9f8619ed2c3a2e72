//! [`DbConfig`]: where the table is and how the pool behaves.

use std::time::Duration;

use session_core::Result;

use crate::dialect::validate_table_name;

/// Django's table name.
pub const DEFAULT_TABLE: &str = "django_session";

/// Database URL, table and pool settings.
///
/// ```
/// use std::time::Duration;
/// use session_db::DbConfig;
/// let config = DbConfig::new("postgres://app@db/app")
///     .table("django_session")?
///     .max_connections(20)
///     .acquire_timeout(Duration::from_secs(2))
///     .deadline(Duration::from_secs(3));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub(crate) url: String,
    pub(crate) table: String,
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) server_timeouts: bool,
    pub(crate) batch_saves: bool,
}

impl DbConfig {
    /// `sqlite://path`, `sqlite::memory:`, `postgres://...` or `mysql://...` with Django's
    /// table, 10 connections, a 3-second acquire timeout and a 5-second deadline.
    pub fn new(url: impl Into<String>) -> Self {
        DbConfig {
            url: url.into(),
            table: DEFAULT_TABLE.to_owned(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
            deadline: Duration::from_secs(5),
            server_timeouts: true,
            batch_saves: true,
        }
    }

    /// The database URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Another table (a plain identifier).
    pub fn table(mut self, table: impl Into<String>) -> Result<Self> {
        let table = table.into();
        validate_table_name(&table)?;
        self.table = table;
        Ok(self)
    }

    /// Most connections the pool opens (for a SQLite file: reader connections; there is
    /// one writer, see the crate's docs).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long an operation waits for a connection before failing, which bounds how long
    /// a call takes while the server is down.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// The most one statement may take, waiting for a connection included (`clear_expired`
    /// runs several: each gets this long). A call still unanswered then fails with a backend
    /// error. The server is told the same limit, so it gives up too: PostgreSQL's
    /// `statement_timeout` and `lock_timeout`, MariaDB's `max_statement_time` (MySQL's
    /// `max_execution_time`) and `innodb_lock_wait_timeout`, SQLite's busy timeout.
    /// As with any timeout, a statement the store gave up on may still take effect on the
    /// server (whose own limit ends it soon after). At least one millisecond.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline.max(Duration::from_millis(1));
        self
    }

    /// Whether saves that queue while a save is being written are written together, in one
    /// statement (on by default; SQLite and PostgreSQL, MySQL always writes them one by
    /// one). Under concurrent requests this is what makes the SQLite and PostgreSQL
    /// engines fast (`docs/bench/history.md`, "Saves committed together"). Its price: one batch runs
    /// at a time, so a session row that another transaction keeps locked holds up every
    /// save of this store until the server's lock timeout ends the batch (the deadline,
    /// after at most the acquire timeout), and fails the up to 32 saves of that batch.
    /// Turn it off if other programs lock session rows for long. PostgreSQL saves are
    /// batched only while the server is told the deadline ([`server_timeouts`](Self::server_timeouts)):
    /// a batch the store gave up on must not land after a later one.
    pub fn batch_saves(mut self, on: bool) -> Self {
        self.batch_saves = on;
        self
    }

    /// Whether the server is told the deadline (on by default). Turn it off behind a
    /// connection pooler that refuses PostgreSQL's `options` startup parameter (PgBouncer
    /// without `ignore_startup_parameters = options`); the store's own deadline still
    /// holds, but a statement it gave up on may then run on at the server.
    pub fn server_timeouts(mut self, on: bool) -> Self {
        self.server_timeouts = on;
        self
    }
}
