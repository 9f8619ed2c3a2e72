use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use session_cli::{commands, copy};
use session_config::{Config, EngineKind, engine};
use session_core::{SessionStore, StoreContext};

/// Manage Django-style sessions: clear expired ones, show, list, count, delete and copy
/// them, decode a signed value.
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
    /// Remove one session; prints 1 if it was there, 0 if not.
    Delete {
        /// The session key (the cookie value).
        key: String,
    },
    /// End every session of a user (db, Redis and in-process engines); prints how many.
    LogoutUser {
        /// The user id given to `Session::login`.
        id: String,
    },
    /// Print the number of unexpired sessions.
    Count,
    /// Print unexpired sessions, one a line: key (cut short), expiry, size of the data.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print whole keys (anyone holding one holds the session).
        #[arg(long)]
        show_keys: bool,
    },
    /// Copy every unexpired session, with its expiry, to another engine.
    Copy(Target),
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

/// Where `copy` writes: the source's settings with these changed.
#[derive(Debug, Args)]
struct Target {
    /// db | file | cache | cached-db.
    #[arg(long)]
    to_engine: EngineKind,
    /// The target's DATABASE_URL.
    #[arg(long)]
    to_database_url: Option<String>,
    /// The target's SESSION_DB_TABLE.
    #[arg(long)]
    to_db_table: Option<String>,
    /// The target's CACHE_URL.
    #[arg(long)]
    to_cache_url: Option<String>,
    /// The target's SESSION_CACHE_KEY_PREFIX.
    #[arg(long)]
    to_cache_key_prefix: Option<String>,
    /// The target's SESSION_FILE_PATH.
    #[arg(long)]
    to_file_path: Option<PathBuf>,
}

impl Target {
    fn config(&self, source: &Config) -> Result<Config, String> {
        if self.to_engine == EngineKind::SignedCookies {
            return Err(
                "signed-cookie sessions live in browsers: copy to a server-side engine".into(),
            );
        }
        let mut target = source.clone();
        target.engine = self.to_engine;
        target.database_url = self.to_database_url.clone().or(target.database_url);
        target.db_table = self.to_db_table.clone().unwrap_or(target.db_table);
        target.cache_url = self.to_cache_url.clone().unwrap_or(target.cache_url);
        target.cache_key_prefix = self.to_cache_key_prefix.clone().or(target.cache_key_prefix);
        target.file_path = self.to_file_path.clone().or(target.file_path);
        let same_place = source.engine == target.engine
            && match target.engine {
                EngineKind::Db => {
                    (source.database_url(), &source.db_table)
                        == (target.database_url(), &target.db_table)
                }
                EngineKind::File => source.file_path == target.file_path,
                _ => {
                    (&source.cache_url, &source.cache_key_prefix)
                        == (&target.cache_url, &target.cache_key_prefix)
                }
            };
        if same_place {
            return Err("the target is the source: give --to-database-url, --to-file-path or --to-cache-url".into());
        }
        Ok(target)
    }
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
        Ok(code) => code,
        Err(message) => {
            eprintln!("sessions: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The configured engine itself, without hashing keys: what `count`, `list` and `copy`
/// work on (they see keys as stored).
async fn raw_store(config: &Config) -> Result<Arc<dyn SessionStore>, String> {
    let ctx = StoreContext::new(config.settings().map_err(|e| e.to_string())?);
    engine::store(config, &ctx).await.map_err(|e| e.to_string())
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let text = |e: session_core::Error| e.to_string();
    match &cli.command {
        Command::Decode {
            value,
            salt,
            max_age,
        } => {
            let settings = cli.config.settings().map_err(text)?;
            let max_age = max_age.or(Some(settings.cookie_age));
            let json =
                commands::decode(settings.secrets(), value, salt, max_age, chrono::Utc::now())
                    .map_err(|e| format!("bad signed value: {e}"))?;
            println!("{json}");
            return Ok(ExitCode::SUCCESS);
        }
        Command::Count => {
            let store = raw_store(&cli.config).await?;
            println!("{}", commands::count(store.as_ref()).await.map_err(text)?);
            return Ok(ExitCode::SUCCESS);
        }
        Command::List { limit, show_keys } => {
            let store = raw_store(&cli.config).await?;
            for listed in commands::list(store.as_ref(), *limit).await.map_err(text)? {
                println!("{}", listed.line(*show_keys));
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Copy(target) => return copy_to(&cli.config, target).await,
        _ => {}
    }
    let sessions = engine::manager(&cli.config).await.map_err(text)?;
    match cli.command {
        Command::ClearExpired => {
            let removed = commands::clear_expired(&sessions).await.map_err(text)?;
            println!("{removed}");
        }
        Command::Show { key } => match commands::show(&sessions, &key).await {
            Ok(Some(json)) => println!("{json}"),
            Ok(None) => return Err("no such session (unknown or expired key)".into()),
            Err(e) => return Err(e.to_string()),
        },
        Command::LogoutUser { id } => {
            let ended = sessions.end_user_sessions(&id, None).await.map_err(text)?;
            println!("{ended}");
        }
        Command::Delete { key } => {
            let existed = commands::delete(&sessions, &key).await.map_err(text)?;
            println!("{}", u8::from(existed));
        }
        Command::Decode { .. } | Command::Count | Command::List { .. } | Command::Copy(_) => {
            unreachable!("handled above")
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn copy_to(source_config: &Config, target: &Target) -> Result<ExitCode, String> {
    let target_config = target.config(source_config)?;
    let source = raw_store(source_config).await?;
    let target = raw_store(&target_config).await?;
    let total = commands::count(source.as_ref()).await.ok();
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} sessions, {per_sec}, {eta} left")
            .expect("a valid template"),
    );
    let summary = copy::copy(source.as_ref(), target.as_ref(), |done| {
        bar.set_position(done)
    })
    .await
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    println!("{summary}");
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
