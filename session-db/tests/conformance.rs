//! The conformance suite on every backend: SQLite file, SQLite in memory, PostgreSQL,
//! MariaDB. Each case gets its own table (or its own database file).

mod common;

use std::sync::Arc;

use session_conformance::Env;
use session_core::{HashedKeys, SessionStore};
use session_db::{DbConfig, DbStore};

async fn store(url: String, env: &Env) -> Result<Arc<dyn SessionStore>, session_core::Error> {
    if !url.starts_with("sqlite") {
        common::drop_table_after(env, &url, env.namespace());
    }
    let store = DbStore::open(DbConfig::new(url).table(env.namespace())?, env.context()).await?;
    store.migrate().await?;
    Ok(Arc::new(store))
}

session_conformance::suite!(
    sqlite_file,
    [
        server,
        logout_wins,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock,
        users
    ],
    |env: Env| async move {
        let path = env.temp_dir().join("sessions.sqlite3");
        store(format!("sqlite://{}", path.display()), &env).await
    }
);

session_conformance::suite!(
    sqlite_file_hashed_keys,
    [server, logout_wins, conflicts, clock, clear_expired, users],
    |env: Env| async move {
        let path = env.temp_dir().join("sessions.sqlite3");
        let store = store(format!("sqlite://{}", path.display()), &env).await?;
        let hashed: Arc<dyn SessionStore> = Arc::new(HashedKeys::new(store, &env.context()));
        Ok::<_, session_core::Error>(hashed)
    }
);

session_conformance::suite!(
    sqlite_memory,
    [
        server,
        logout_wins,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock,
        users
    ],
    |env: Env| async move {
        store(
            format!("sqlite:file:{}?mode=memory&cache=shared", env.namespace()),
            &env,
        )
        .await
    }
);

session_conformance::suite!(
    postgres,
    [
        server,
        logout_wins,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock,
        users
    ],
    |env: Env| async move { store(common::pg_url(), &env).await }
);

session_conformance::suite!(
    mariadb,
    [
        server,
        logout_wins,
        conflicts,
        clock,
        clear_expired,
        inventory,
        inventory_clock,
        users
    ],
    |env: Env| async move { store(common::mysql_url(), &env).await }
);
