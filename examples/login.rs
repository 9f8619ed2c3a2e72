//! Logging in and out the way Django does it: `cycle_key` on login (a new session key, so a
//! key planted before login is worthless after it), `flush` on logout (the stored session
//! is deleted and the cookie removed). In-process sessions.
//!
//! ```sh
//! cargo run -p session-examples --example login
//! curl -c /tmp/jar -b /tmp/jar -i 'http://127.0.0.1:3000/login?user=ada'  # new Set-Cookie
//! curl -c /tmp/jar -b /tmp/jar http://127.0.0.1:3000/                       # Hello, ada
//! curl -c /tmp/jar -b /tmp/jar -i http://127.0.0.1:3000/logout               # cookie deleted
//! ```

use axum::extract::Query;
use axum::{Router, routing::get};
use serde::Deserialize;
use session_cache::MemoryStore;
use session_core::{Session, SessionManager, SessionSettings};
use session_middleware::{SessionError, SessionLayer};

const USER: &str = "_auth_user_id";

#[derive(Deserialize)]
struct Login {
    user: String,
}

async fn login(session: Session, Query(login): Query<Login>) -> Result<String, SessionError> {
    // Check the password here. Then: a new key for the logged-in session, same data.
    session.cycle_key().await?;
    session.insert(USER, &login.user).await?;
    Ok(format!("Logged in as {}\n", login.user))
}

async fn whoami(session: Session) -> Result<String, SessionError> {
    Ok(match session.get::<String>(USER).await? {
        Some(user) => format!("Hello, {user}\n"),
        None => "Not logged in\n".to_owned(),
    })
}

async fn logout(session: Session) -> Result<&'static str, SessionError> {
    session.flush().await?;
    Ok("Logged out\n")
}

/// The app over in-process sessions.
pub fn app(secret: &str) -> session_core::Result<Router> {
    let sessions = SessionManager::build(SessionSettings::new(secret)?, |ctx| {
        Ok(MemoryStore::new(ctx))
    })?;
    Ok(Router::new()
        .route("/", get(whoami))
        .route("/login", get(login))
        .route("/logout", get(logout))
        .layer(SessionLayer::new(sessions)?))
}

#[allow(dead_code)] // the tests include this file for `app`
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("SECRET_KEY").unwrap_or_else(|_| "change-me-in-production".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(&secret)?).await?;
    Ok(())
}
