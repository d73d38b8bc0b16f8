//! The place for `codearts emulator` and for the embedded emulator `codearts demo` runs
//! against when no `--endpoint` is given.
//!
//! The emulator crate is not part of this build yet. Wiring it in means:
//! - [`command`]: replace the pass-through arguments with the emulator binary's own options
//!   (or keep passing them through to its argument parser);
//! - [`run`]: start the emulator with those options and serve until interrupted;
//! - [`embedded`]: start it on `127.0.0.1:0` in this process and hand back its address and
//!   the demo credentials, so that `codearts demo` needs no account and no network.

use clap::{Arg, ArgAction, ArgMatches, Command};
use codearts_auth::Credentials;

use crate::CliError;

/// A running embedded emulator: where it listens and who the demo acts as there.
pub struct Embedded {
    /// Its base URL, e.g. `http://127.0.0.1:40123` (both services and IAM).
    pub endpoint: String,
    /// The seeded demo user's credentials.
    pub credentials: Credentials,
    /// The seeded demo project.
    pub project_id: String,
}

/// `codearts emulator [ARGS]...`.
pub fn command() -> Command {
    Command::new("emulator")
        .about("Run the local CodeArts emulator (takes the emulator binary's options)")
        .arg(
            Arg::new("args")
                .value_name("ARGS")
                .help("Options passed to the emulator")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true)
                .action(ArgAction::Append),
        )
}

/// Runs the emulator until interrupted.
pub async fn run(_matches: &ArgMatches) -> Result<u8, CliError> {
    Err(not_built())
}

/// Starts an emulator inside this process for `codearts demo`.
pub async fn embedded() -> Result<Embedded, CliError> {
    Err(not_built())
}

fn not_built() -> CliError {
    CliError::usage(
        "the emulator is not part of this build yet; run `codearts demo --endpoint URL` \
         against a compatible server",
    )
}
