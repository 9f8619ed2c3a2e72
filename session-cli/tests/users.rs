//! `sessions logout-user ID` on a SQLite database.

use std::process::Command;

use session_core::{SessionManager, SessionSettings};
use session_db::{DbConfig, DbStore};

const SECRET: &str = "cli-users-secret";

#[tokio::test]
async fn logout_user_ends_every_session_of_that_user_only() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.sqlite3").display()
    );
    let sessions = SessionManager::connect(SessionSettings::new(SECRET).unwrap(), async |ctx| {
        let store = DbStore::open(DbConfig::new(url.clone()), ctx).await?;
        store.migrate().await?;
        Ok(store)
    })
    .await
    .unwrap();
    let mut keys = Vec::new();
    for user in ["42", "42", "7"] {
        let session = sessions.session(None);
        session.login(user).await.unwrap();
        keys.push(session.session_key().unwrap());
    }
    let sessions_cmd = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sessions"))
            .args(["--engine", "db", "--database-url", &url])
            .args(args)
            .env("SECRET_KEY", SECRET)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        )
    };
    assert_eq!(sessions_cmd(&["logout-user", "42"]), (Some(0), "2".into()));
    assert_eq!(sessions_cmd(&["logout-user", "42"]), (Some(0), "0".into()));
    assert_eq!(sessions_cmd(&["show", keys[0].as_str()]).0, Some(1));
    assert_eq!(sessions_cmd(&["show", keys[1].as_str()]).0, Some(1));
    assert_eq!(sessions_cmd(&["show", keys[2].as_str()]).0, Some(0));
    assert_eq!(sessions_cmd(&["logout-user", "../x"]).0, Some(1));
}
