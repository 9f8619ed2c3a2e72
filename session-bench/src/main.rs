use std::process::ExitCode;

use clap::Parser;
use session_bench::{BenchArgs, report};

/// Benchmark every reachable engine against the others and against its raw client.
#[derive(Debug, Parser)]
#[command(name = "session-bench", version)]
struct Cli {
    #[command(flatten)]
    args: BenchArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The load-miss workload sends cookies that fail verification on purpose: one security
    // warning per operation would flood the terminal and slow the run.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,session_core::security=error".into()),
        )
        .init();
    match bench(&cli.args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("session-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the benchmark, prints the table on stdout and writes the JSON and SVG files asked
/// for.
async fn bench(args: &BenchArgs) -> Result<(), String> {
    let report = session_bench::run(args).await?;
    print!("{}", report::table::render(&report));
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report::json::render(&report))
            .map_err(|e| e.to_string())?;
        std::fs::write(path, json + "\n")
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, report::svg::render(&report))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}
