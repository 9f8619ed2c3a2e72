//! Where the test servers are: the URLs `scripts/services` exports, defaulting to the
//! local servers it starts.

#![allow(dead_code)]

pub fn pg_url() -> String {
    std::env::var("PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn mysql_url() -> String {
    std::env::var("MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// The URL in `var`; `None` (the test is skipped) when unset, unless
/// `SESSIONS_TEST_REQUIRE_SERVICES=1` makes a missing server a failure.
pub fn required(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("SESSIONS_TEST_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("{var} is not set: run scripts/services")
        }
        Err(_) => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// Drops a table this test created.
pub async fn drop_table(url: &str, table: &str) {
    use sqlx::AssertSqlSafe;
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("DROP TABLE IF EXISTS \"{table}\"")))
            .execute(&pool)
            .await
            .unwrap();
    } else if url.starts_with("mysql") {
        let pool = sqlx::MySqlPool::connect(url).await.unwrap();
        sqlx::query(AssertSqlSafe(format!("DROP TABLE IF EXISTS `{table}`")))
            .execute(&pool)
            .await
            .unwrap();
    }
}
