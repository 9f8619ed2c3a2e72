//! A visit counter on the embedded SQLite engine: the smallest complete app.
//!
//! ```sh
//! cargo run -p session-examples --example counter
//! curl -c /tmp/jar -b /tmp/jar http://127.0.0.1:3000/   # Visits: 1, then 2, 3...
//! ```
//!
//! Sessions live in `sessions.sqlite3` (Django's `django_session` table) in the current
//! directory; `SECRET_KEY` signs them.

use axum::{Router, routing::get};
use session_core::{Session, SessionManager, SessionSettings};
use session_db::{DbConfig, DbStore};
use session_middleware::{SessionError, SessionLayer};

async fn visit(session: Session) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", visits).await?;
    Ok(format!("Visits: {visits}\n"))
}

/// The app over the SQLite database at `url`.
pub async fn app(url: &str, secret: &str) -> session_core::Result<Router> {
    let sessions = SessionManager::connect(SessionSettings::new(secret)?, async |ctx| {
        let store = DbStore::open(DbConfig::new(url), ctx).await?;
        store.migrate().await?; // creates the table if it is missing
        Ok(store)
    })
    .await?;
    Ok(Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::new(sessions)?))
}

#[allow(dead_code)] // the tests include this file for `app`
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("SECRET_KEY").unwrap_or_else(|_| "change-me-in-production".into());
    let app = app("sqlite://sessions.sqlite3?mode=rwc", &secret).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
