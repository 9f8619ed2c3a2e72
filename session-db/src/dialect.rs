//! What differs between the SQL dialects: identifier quoting, placeholders, column types,
//! batched deletes, and how `expire_date` is stored.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use session_core::{Error, Result};

/// The database family, from the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `sqlite:`.
    Sqlite,
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `mysql://` or `mariadb://`.
    MySql,
}

impl Dialect {
    /// The dialect of `url`, or a configuration error.
    pub fn of_url(url: &str) -> Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::MySql),
            _ => Err(Error::config(format!(
                "unsupported database URL scheme {scheme:?}: use sqlite:, postgres:// or mysql://"
            ))),
        }
    }

    /// `ident` quoted as an identifier in this dialect.
    fn quote(self, ident: &str) -> String {
        match self {
            Dialect::MySql => format!("`{ident}`"),
            _ => format!("\"{ident}\""),
        }
    }

    fn params(self, count: usize) -> Vec<String> {
        (1..=count)
            .map(|n| match self {
                Dialect::Postgres => format!("${n}"),
                _ => "?".to_owned(),
            })
            .collect()
    }
}

/// A table name that is safe to put into SQL: `[A-Za-z_][A-Za-z0-9_]*`, at most 63 bytes.
pub fn validate_table_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if first_ok && name.len() <= 63 && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(())
    } else {
        Err(Error::config(format!(
            "table name {name:?} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 bytes)"
        )))
    }
}

/// Rows deleted per statement by `clear_expired`.
pub const CLEAR_BATCH: u64 = 1000;

/// Most saves committed in one statement (SQLite: three bound values each, far below its
/// limit on bound values).
pub const MAX_BATCH: usize = 32;

/// Every statement the engine runs, built once for a dialect and table.
#[derive(Debug, Clone)]
pub struct Statements {
    /// Run in order, in one transaction, by `migrate`.
    pub migrate: Vec<Arc<str>>,
    pub insert: Arc<str>,
    pub update: Arc<str>,
    /// `update` only while `session_data` is still the value bound last (byte for byte):
    /// the compare-and-swap of `SESSION_CONFLICTS=detect`.
    pub update_if: Arc<str>,
    /// The stored `session_data`, expired or not.
    pub current: Arc<str>,
    pub load: Arc<str>,
    pub exists: Arc<str>,
    pub delete: Arc<str>,
    /// Deletes at most [`CLEAR_BATCH`] rows expired before the bound time.
    pub clear_batch: Arc<str>,
    /// Removes the per-user index table and the table (and its index), if they exist.
    pub drop_table: Vec<Arc<str>>,
    /// Keys after the first bound key, unexpired at the second bound time, in key order,
    /// at most the third bound number.
    pub list_keys: Arc<str>,
    /// How many sessions are unexpired at the bound time.
    pub count: Arc<str>,
    /// The per-user index: records (user, key, expiry), replacing the expiry.
    pub user_add: Arc<str>,
    /// The keys recorded for a user.
    pub user_keys: Arc<str>,
    /// Forgets one (user, key).
    pub user_remove: Arc<str>,
    /// At `n` from 2 to [`MAX_BATCH`], `update` of `n` rows in one statement, returning the
    /// keys it found (the first two are empty; MySQL has none). SQLite binds (key, data,
    /// expire) per row; PostgreSQL binds three arrays (keys, data, expiries), one statement
    /// for every `n`.
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub update_rows: Vec<Arc<str>>,
}

/// The per-user index table of `table` (`<table>_users`, or the table's name cut to fit).
pub fn users_table(table: &str) -> String {
    let stem: String = table.chars().take(63 - "_users".len()).collect();
    format!("{stem}_users")
}

impl Statements {
    /// The statements for `table` (already validated) in `dialect`.
    pub fn new(dialect: Dialect, table: &str) -> Self {
        let t = dialect.quote(table);
        let [key, data, expire] =
            ["session_key", "session_data", "expire_date"].map(|c| dialect.quote(c));
        let p = dialect.params(4);
        // Django's index name for its own table, a readable one for others.
        let index_name = if table == "django_session" {
            "django_session_expire_date_a5c62663".to_owned()
        } else {
            format!("{table}_expire_date")
        };
        let index = dialect.quote(&index_name);
        let u = dialect.quote(&users_table(table));
        let user = dialect.quote("user_id");
        let expire_type = match dialect {
            Dialect::Sqlite => "datetime",
            Dialect::Postgres => "timestamp with time zone",
            Dialect::MySql => "datetime(6)",
        };
        let users_ddl = format!(
            "CREATE TABLE IF NOT EXISTS {u} ({user} varchar(150) NOT NULL, {key} varchar(40) NOT NULL, {expire} {expire_type} NOT NULL, PRIMARY KEY ({user}, {key}))"
        );
        let migrate = match dialect {
            Dialect::Sqlite => vec![
                format!(
                    "CREATE TABLE IF NOT EXISTS {t} ({key} varchar(40) NOT NULL PRIMARY KEY, {data} text NOT NULL, {expire} datetime NOT NULL)"
                ),
                format!("CREATE INDEX IF NOT EXISTS {index} ON {t} ({expire})"),
                users_ddl.clone(),
            ],
            Dialect::Postgres => vec![
                // Two processes creating the same table at once can collide in PostgreSQL's
                // catalog; a transaction-scoped advisory lock makes them take turns.
                "SELECT pg_advisory_xact_lock(4714958392615733077)".to_owned(),
                format!(
                    "CREATE TABLE IF NOT EXISTS {t} ({key} varchar(40) NOT NULL PRIMARY KEY, {data} text NOT NULL, {expire} timestamp with time zone NOT NULL)"
                ),
                format!("CREATE INDEX IF NOT EXISTS {index} ON {t} ({expire})"),
                users_ddl.clone(),
            ],
            Dialect::MySql => vec![
                format!(
                    "CREATE TABLE IF NOT EXISTS {t} ({key} varchar(40) NOT NULL PRIMARY KEY, {data} longtext NOT NULL, {expire} datetime(6) NOT NULL, KEY {index} ({expire}))"
                ),
                users_ddl.clone(),
            ],
        };
        let clear_batch = match dialect {
            Dialect::MySql => format!("DELETE FROM {t} WHERE {expire} < ? LIMIT {CLEAR_BATCH}"),
            _ => format!(
                "DELETE FROM {t} WHERE {key} IN (SELECT {key} FROM {t} WHERE {expire} < {} LIMIT {CLEAR_BATCH})",
                p[0]
            ),
        };
        let arc = |s: String| Arc::<str>::from(s);
        Statements {
            migrate: migrate.into_iter().map(arc).collect(),
            insert: arc(format!(
                "INSERT INTO {t} ({key}, {data}, {expire}) VALUES ({}, {}, {})",
                p[0], p[1], p[2]
            )),
            update: arc(format!(
                "UPDATE {t} SET {data} = {}, {expire} = {} WHERE {key} = {}",
                p[0], p[1], p[2]
            )),
            update_if: arc(format!(
                "UPDATE {t} SET {data} = {}, {expire} = {} WHERE {key} = {} AND {data} = {}",
                p[0],
                p[1],
                p[2],
                match dialect {
                    // MySQL's text comparison ignores case and trailing spaces.
                    Dialect::MySql => format!("CAST({} AS BINARY)", p[3]),
                    _ => p[3].clone(),
                }
            )),
            current: arc(format!("SELECT {data} FROM {t} WHERE {key} = {}", p[0])),
            load: arc(format!(
                "SELECT {data}, {expire} FROM {t} WHERE {key} = {} AND {expire} > {}",
                p[0], p[1]
            )),
            exists: arc(format!("SELECT 1 FROM {t} WHERE {key} = {}", p[0])),
            delete: arc(format!("DELETE FROM {t} WHERE {key} = {}", p[0])),
            clear_batch: arc(clear_batch),
            drop_table: vec![
                arc(format!("DROP TABLE IF EXISTS {u}")),
                arc(format!("DROP TABLE IF EXISTS {t}")),
            ],
            list_keys: arc(format!(
                "SELECT {key} FROM {t} WHERE {key} > {} AND {expire} > {} ORDER BY {key} LIMIT {}",
                p[0], p[1], p[2]
            )),
            count: arc(format!(
                "SELECT COUNT(*) FROM {t} WHERE {expire} > {}",
                p[0]
            )),
            user_add: arc(match dialect {
                Dialect::Sqlite => {
                    format!("INSERT OR REPLACE INTO {u} ({user}, {key}, {expire}) VALUES (?, ?, ?)")
                }
                Dialect::Postgres => format!(
                    "INSERT INTO {u} ({user}, {key}, {expire}) VALUES ($1, $2, $3) ON CONFLICT ({user}, {key}) DO UPDATE SET {expire} = EXCLUDED.{expire}"
                ),
                Dialect::MySql => format!(
                    "INSERT INTO {u} ({user}, {key}, {expire}) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE {expire} = VALUES({expire})"
                ),
            }),
            user_keys: arc(format!("SELECT {key} FROM {u} WHERE {user} = {}", p[0])),
            user_remove: arc(format!(
                "DELETE FROM {u} WHERE {user} = {} AND {key} = {}",
                p[0], p[1]
            )),
            update_rows: match dialect {
                Dialect::Sqlite => (0..=MAX_BATCH)
                    .map(|n| {
                        if n < 2 {
                            return arc(String::new());
                        }
                        let rows = vec!["(?, ?, ?)"; n].join(", ");
                        arc(format!(
                            "UPDATE {t} SET {data} = v.column2, {expire} = v.column3 FROM (VALUES {rows}) AS v WHERE {t}.{key} = v.column1 RETURNING {key}"
                        ))
                    })
                    .collect(),
                Dialect::Postgres => {
                    let many = arc(format!(
                        "UPDATE {t} SET {data} = v.d, {expire} = v.e FROM UNNEST($1::text[], $2::text[], $3::timestamptz[]) AS v(k, d, e) WHERE {t}.{key} = v.k RETURNING {t}.{key}"
                    ));
                    (0..=MAX_BATCH)
                        .map(|n| if n < 2 { arc(String::new()) } else { many.clone() })
                        .collect()
                }
                Dialect::MySql => Vec::new(),
            },
        }
    }
}

/// How each dialect stores `expire_date`, as Django does.
pub mod time {
    use super::*;

    #[cfg(feature = "sqlite")]
    /// SQLite: Django's text, `str()` of the naive UTC datetime:
    /// `2026-12-06 10:46:42.980318`, without the fraction when it is zero. The fraction is
    /// either absent or six digits, so text order is time order.
    pub mod sqlite {
        use super::*;

        pub fn to_db(at: DateTime<Utc>) -> String {
            let micros = at.timestamp_subsec_micros();
            let base = at.format("%Y-%m-%d %H:%M:%S");
            if micros == 0 {
                base.to_string()
            } else {
                format!("{base}.{micros:06}")
            }
        }

        pub fn from_db(text: String) -> Result<DateTime<Utc>> {
            session_core::expiry::parse_isoformat(&text)
                .ok_or_else(|| Error::backend_msg(format!("unreadable expire_date {text:?}")))
        }
    }

    #[cfg(feature = "postgres")]
    /// PostgreSQL: `timestamp with time zone`.
    pub mod postgres {
        use super::*;

        pub fn to_db(at: DateTime<Utc>) -> DateTime<Utc> {
            at
        }

        pub fn from_db(at: DateTime<Utc>) -> Result<DateTime<Utc>> {
            Ok(at)
        }
    }

    #[cfg(feature = "mysql")]
    /// MySQL/MariaDB: `datetime(6)` holding UTC.
    pub mod mysql {
        use super::*;

        pub fn to_db(at: DateTime<Utc>) -> chrono::NaiveDateTime {
            at.naive_utc()
        }

        pub fn from_db(at: chrono::NaiveDateTime) -> Result<DateTime<Utc>> {
            Ok(at.and_utc())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};

    #[test]
    fn table_names_are_identifiers() {
        for ok in ["django_session", "_x", "cf_case_abc123", "T1"] {
            assert!(validate_table_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "a-b",
            "a b",
            "x\"; DROP TABLE y; --",
            "a`b",
            &"a".repeat(64),
        ] {
            assert!(validate_table_name(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_text_sorts_as_time() {
        let t = Utc.with_ymd_and_hms(2026, 12, 6, 10, 46, 42).unwrap();
        let texts: Vec<String> = [0, 1, 500_000, 999_999, 1_000_000]
            .map(|us| time::sqlite::to_db(t + TimeDelta::microseconds(us)))
            .into();
        assert_eq!(texts[0], "2026-12-06 10:46:42");
        assert_eq!(texts[1], "2026-12-06 10:46:42.000001");
        assert_eq!(texts[4], "2026-12-06 10:46:43");
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(sorted, texts);
        for text in texts {
            assert_eq!(
                time::sqlite::to_db(time::sqlite::from_db(text.clone()).unwrap()),
                text
            );
        }
    }

    #[test]
    fn dialects_from_urls() {
        assert_eq!(Dialect::of_url("sqlite::memory:").unwrap(), Dialect::Sqlite);
        assert_eq!(Dialect::of_url("sqlite://x.db").unwrap(), Dialect::Sqlite);
        assert_eq!(
            Dialect::of_url("postgresql://h/db").unwrap(),
            Dialect::Postgres
        );
        assert_eq!(Dialect::of_url("mariadb://h/db").unwrap(), Dialect::MySql);
        assert!(Dialect::of_url("oracle://h").is_err());
    }

    #[test]
    fn statements_use_each_dialects_placeholders() {
        let pg = Statements::new(Dialect::Postgres, "django_session");
        assert_eq!(
            &*pg.update,
            "UPDATE \"django_session\" SET \"session_data\" = $1, \"expire_date\" = $2 WHERE \"session_key\" = $3"
        );
        let my = Statements::new(Dialect::MySql, "t");
        assert_eq!(
            &*my.clear_batch,
            "DELETE FROM `t` WHERE `expire_date` < ? LIMIT 1000"
        );
    }
}
