//! `codearts emulator` (the emulator binary's options, served in this process) and the
//! embedded emulator `codearts demo` runs against when no `--endpoint` is given.

use clap::{ArgMatches, Args, Command, FromArgMatches};
use codearts_auth::{Credentials, PasswordCredentials, TokenScope};
use codearts_emulator::serve::ServeArgs;
use codearts_emulator::{fixture, Emulator, EmulatorHandle};

use crate::CliError;

/// A running embedded emulator: where it listens and who the demo acts as there.
pub struct Embedded {
    /// Its base URL, e.g. `http://127.0.0.1:40123` (both services and IAM).
    pub endpoint: String,
    /// The seeded demo user's password credentials: the demo gets an IAM token with them.
    pub credentials: Credentials,
    /// The seeded demo project.
    pub project_id: String,
    /// Keeps the emulator serving while the demo runs.
    pub handle: EmulatorHandle,
}

/// `codearts emulator [OPTIONS]`: the same options as the `codearts-emulator` binary.
pub fn command() -> Command {
    ServeArgs::augment_args(
        Command::new("emulator")
            .about("Run the local CodeArts emulator (Pipeline, Build and IAM on one URL)"),
    )
}

/// Runs the emulator until interrupted.
pub async fn run(matches: &ArgMatches) -> Result<u8, CliError> {
    let args = ServeArgs::from_arg_matches(matches).map_err(|e| CliError::usage(e.to_string()))?;
    args.serve().await.map_err(CliError::usage)?;
    Ok(crate::EXIT_OK)
}

/// Starts an emulator with the demo account inside this process, on a free loopback port.
pub async fn embedded() -> Result<Embedded, CliError> {
    let handle = Emulator::builder()
        .start()
        .await
        .map_err(|e| CliError::usage(format!("cannot start the embedded emulator: {e}")))?;
    let credentials = PasswordCredentials::new(
        fixture::DEMO_USER,
        fixture::DEMO_PASSWORD,
        fixture::DEMO_DOMAIN,
        TokenScope::ProjectName(fixture::DEMO_PROJECT.to_owned()),
    )
    .map_err(|e| CliError::usage(e.to_string()))?;
    Ok(Embedded {
        endpoint: handle.url(),
        credentials: Credentials::Password(credentials),
        project_id: fixture::DEMO_PROJECT_ID.to_owned(),
        handle,
    })
}
