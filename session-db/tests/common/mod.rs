//! Where the test servers are: the URLs `scripts/services` exports, defaulting to the
//! local servers it starts.

#![allow(dead_code, unused_imports)]

pub use conformance::services::{configured as required, mysql_url, pg_url};

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
