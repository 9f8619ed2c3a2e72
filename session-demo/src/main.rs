use std::time::Duration;

use clap::Parser;
use session_config::{Config, engine};

/// The demo app: Django's session tutorial views over any engine.
#[derive(Debug, Parser)]
#[command(name = "session-demo", version)]
struct Cli {
    #[command(flatten)]
    config: Config,
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
    bind: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    session_demo::metrics::install();
    let sessions = engine::manager(&cli.config).await?;
    // Settings are checked (and a weak key refused under the production preset) before
    // anything listens.
    let app = session_demo::app_on(sessions.clone(), cli.config.engine.name())?;
    let cleanup = session_middleware::spawn_clear_expired(
        sessions.store().clone(),
        Duration::from_secs(3600),
    );
    let listener = tokio::net::TcpListener::bind(&cli.bind).await?;
    tracing::info!(engine = ?cli.config.engine, "listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    cleanup.abort();
    Ok(())
}
