//! The engine chosen at run time by Django's setting names, from the environment (or the
//! matching flags): `SESSION_ENGINE`, `DATABASE_URL`, `CACHE_URL`, `SESSION_FILE_PATH`,
//! `SECRET_KEY`, `SESSION_COOKIE_AGE`... (`--help` lists them all).
//!
//! ```sh
//! cargo run -p session-examples --example from-env                      # SQLite, sessions.sqlite3
//! SESSION_ENGINE=cache CACHE_URL=redis://127.0.0.1:6379 \
//!   cargo run -p session-examples --example from-env                    # Redis
//! SESSION_ENGINE=signed-cookies cargo run -p session-examples --example from-env -- --help
//! curl -c /tmp/jar -b /tmp/jar http://127.0.0.1:3000/                    # Visits: 1, 2, ...
//! ```

use axum::{Router, routing::get};
use clap::Parser;
use session_config::{Config, engine};
use session_core::Session;
use session_middleware::{SessionError, SessionLayer};

/// A visit counter over the engine the environment names.
#[derive(Debug, Parser)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:3000")]
    pub bind: String,
}

async fn visit(session: Session) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", visits).await?;
    Ok(format!("Visits: {visits}\n"))
}

/// The app over the configured engine.
pub async fn app(config: &Config) -> session_core::Result<Router> {
    let sessions = engine::manager(config).await?;
    Ok(Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::new(sessions)?))
}

#[allow(dead_code)] // the tests include this file for `app`
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let app = app(&cli.config).await?;
    let listener = tokio::net::TcpListener::bind(&cli.bind).await?;
    println!(
        "{:?} sessions on http://{}",
        cli.config.engine,
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
