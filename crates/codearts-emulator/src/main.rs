//! `codearts-emulator`: serves the emulated CodeArts Pipeline, CodeArts Build and IAM.

use std::process::ExitCode;

use clap::Parser;
use codearts_emulator::serve::ServeArgs;

/// A local emulator of Huawei Cloud CodeArts Pipeline, CodeArts Build and IAM.
#[derive(Debug, Parser)]
#[command(name = "codearts-emulator", version)]
struct Args {
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    match Args::parse().serve.serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codearts-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
