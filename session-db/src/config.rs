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
///     .acquire_timeout(Duration::from_secs(2));
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub(crate) url: String,
    pub(crate) table: String,
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout: Duration,
}

impl DbConfig {
    /// `sqlite://path`, `sqlite::memory:`, `postgres://...` or `mysql://...` with Django's
    /// table, 10 connections and a 3-second acquire timeout.
    pub fn new(url: impl Into<String>) -> Self {
        DbConfig {
            url: url.into(),
            table: DEFAULT_TABLE.to_owned(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
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

    /// Most connections the pool opens (for SQLite: reader connections; there is always one
    /// writer).
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
}
