//! The deadline told to the server, in each dialect's own settings, so a statement the
//! store gave up on does not keep running (or keep waiting for a lock) on the server.

use std::time::Duration;

/// Whole milliseconds, rounded up, at least one.
fn millis(deadline: Duration) -> u128 {
    deadline.as_nanos().div_ceil(1_000_000).max(1)
}

/// PostgreSQL startup parameters: `statement_timeout` and `lock_timeout`.
#[cfg(feature = "postgres")]
pub fn postgres(deadline: Duration) -> [(&'static str, String); 2] {
    let ms = format!("{}ms", millis(deadline));
    [("statement_timeout", ms.clone()), ("lock_timeout", ms)]
}

/// The `SET SESSION` run on each new MySQL or MariaDB connection, `version` being the
/// server's `VERSION()`: MariaDB's `max_statement_time` (seconds) or MySQL's
/// `max_execution_time` (milliseconds, SELECT only), and `innodb_lock_wait_timeout` (whole
/// seconds, at least one).
#[cfg(feature = "mysql")]
pub fn mysql(deadline: Duration, version: &str) -> String {
    let statement = if version.contains("MariaDB") {
        format!("max_statement_time = {:.6}", deadline.as_secs_f64())
    } else {
        format!("max_execution_time = {}", millis(deadline))
    };
    let lock_secs = deadline.as_nanos().div_ceil(1_000_000_000).max(1);
    format!("SET SESSION {statement}, innodb_lock_wait_timeout = {lock_secs}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_never_to_zero() {
        assert_eq!(millis(Duration::from_micros(1)), 1);
        assert_eq!(millis(Duration::from_micros(1500)), 2);
        assert_eq!(millis(Duration::from_secs(5)), 5000);
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_parameters() {
        assert_eq!(
            postgres(Duration::from_millis(2500)),
            [
                ("statement_timeout", "2500ms".to_owned()),
                ("lock_timeout", "2500ms".to_owned())
            ]
        );
    }

    #[cfg(feature = "mysql")]
    #[test]
    fn mysql_and_mariadb_statements() {
        let deadline = Duration::from_millis(2500);
        assert_eq!(
            mysql(deadline, "10.11.19-MariaDB-0+deb12u1"),
            "SET SESSION max_statement_time = 2.500000, innodb_lock_wait_timeout = 3"
        );
        assert_eq!(
            mysql(deadline, "8.4.2"),
            "SET SESSION max_execution_time = 2500, innodb_lock_wait_timeout = 3"
        );
        assert_eq!(
            mysql(Duration::from_millis(10), "8.4.2"),
            "SET SESSION max_execution_time = 10, innodb_lock_wait_timeout = 1"
        );
    }
}
