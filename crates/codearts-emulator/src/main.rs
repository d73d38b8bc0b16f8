//! `codearts-emulator`: serves the emulated CodeArts Pipeline, CodeArts Build and IAM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use codearts_emulator::{Emulator, Faults, Fixture};

/// A local emulator of Huawei Cloud CodeArts Pipeline, CodeArts Build and IAM.
#[derive(Debug, Parser)]
#[command(name = "codearts-emulator", version)]
struct Args {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// JSON fixture with accounts and seed data (default: the built-in demo account).
    #[arg(long, value_name = "FILE")]
    fixture: Option<PathBuf>,
    /// A fault rule ROUTE=KIND[:PROBABILITY], e.g. `run_pipeline=503:0.5`; repeatable.
    #[arg(long = "fault", value_name = "RULE")]
    faults: Vec<String>,
    /// Seed of the fault draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Lifetime of issued IAM tokens, in seconds.
    #[arg(long, value_name = "SECONDS")]
    token_lifetime: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codearts-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let fixture = match &args.fixture {
        Some(path) => Fixture::from_file(path)?,
        None => Fixture::demo(),
    };
    let mut faults = Faults::none().seed(args.seed);
    for rule in &args.faults {
        faults = faults.parse_rule(rule)?;
    }
    let mut builder = Emulator::builder()
        .fixture(fixture)
        .faults(faults)
        .listen(args.listen);
    if let Some(secs) = args.token_lifetime {
        builder = builder.token_lifetime(std::time::Duration::from_secs(secs));
    }
    let handle = builder
        .start()
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    // The first line on stdout is the URL, for scripts that start the binary.
    println!("{}", handle.url());
    tracing::info!(url = %handle.url(), "serving CodeArts Pipeline, CodeArts Build and IAM");
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    Ok(())
}
