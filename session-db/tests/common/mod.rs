//! Where the test servers are: the URLs `scripts/services` exports, defaulting to the
//! local servers it starts.

#![allow(dead_code, unused_imports)]

use session_core::{SessionSettings, StoreContext};
use session_db::{DbConfig, DbStore};
pub use session_test_support::services::{configured as required, mysql_url, pg_url};

/// Drops a table this test created; a failure is printed, not raised, so it never hides
/// the test's own outcome.
pub async fn drop_table(url: &str, table: &str) {
    let ctx = StoreContext::new(SessionSettings::new("drop").unwrap());
    let dropped = match DbConfig::new(url).table(table) {
        Ok(config) => match DbStore::open(config, ctx).await {
            Ok(store) => store.drop_table().await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = dropped {
        eprintln!("could not drop the test table {table}: {e}");
    }
}

/// Drops `table` on `url` when the conformance case ends.
pub fn drop_table_after(env: &session_conformance::Env, url: &str, table: &str) {
    let (url, table) = (url.to_owned(), table.to_owned());
    env.on_cleanup(async move { drop_table(&url, &table).await });
}
