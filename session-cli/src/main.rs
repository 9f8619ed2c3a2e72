use std::process::ExitCode;

use clap::{Parser, Subcommand};
use session_cli::commands;
use session_config::{Config, engine};

/// Manage Django-style sessions: clear expired ones, show one, decode a signed value.
#[derive(Debug, Parser)]
#[command(name = "sessions", version)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Remove expired sessions (Django's clearsessions); prints how many.
    ClearExpired,
    /// Print one session as JSON.
    Show {
        /// The session key (the cookie value).
        key: String,
    },
    /// Verify and decode a Django signed value; prints its JSON.
    Decode {
        /// The signed value, e.g. a signed-cookie session.
        value: String,
        /// Signing salt (default: the signed-cookie sessions' salt).
        #[arg(long, default_value = commands::SIGNED_COOKIE_SALT)]
        salt: String,
        /// Maximum age in seconds (default: the cookie age).
        #[arg(long)]
        max_age: Option<i64>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sessions: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    if let Command::Decode {
        value,
        salt,
        max_age,
    } = &cli.command
    {
        let settings = cli.config.settings().map_err(|e| e.to_string())?;
        let max_age = max_age.or(Some(settings.cookie_age));
        let json = commands::decode(settings.secrets(), value, salt, max_age, chrono::Utc::now())
            .map_err(|e| format!("bad signed value: {e}"))?;
        println!("{json}");
        return Ok(());
    }
    let sessions = engine::manager(&cli.config)
        .await
        .map_err(|e| e.to_string())?;
    match cli.command {
        Command::ClearExpired => {
            let removed = commands::clear_expired(&sessions)
                .await
                .map_err(|e| e.to_string())?;
            println!("{removed}");
        }
        Command::Show { key } => match commands::show(&sessions, &key).await {
            Ok(Some(json)) => println!("{json}"),
            Ok(None) => return Err("no such session (unknown or expired key)".into()),
            Err(e) => return Err(e.to_string()),
        },
        Command::Decode { .. } => {
            unreachable!("decode needs no configured store and returned above")
        }
    }
    Ok(())
}
