//! The command tree, built with clap's builder API from the generated operation tables.

use clap::{value_parser, Arg, ArgAction, Command};

use crate::ops::{op_command, OpSpec};
use crate::{duration, generated};

const ROOT_AFTER_HELP: &str = "\
Credentials, as the SDK finds them: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (plus
HUAWEICLOUD_SDK_SECURITY_TOKEN, _PROJECT_ID, _DOMAIN_ID); or HUAWEICLOUD_SDK_USER_NAME,
HUAWEICLOUD_SDK_PASSWORD and HUAWEICLOUD_SDK_DOMAIN_NAME for an IAM token; or
HUAWEICLOUD_SDK_TOKEN; or the [basic] section (--profile NAME) of ~/.huaweicloud/credentials
(HUAWEICLOUD_SDK_CREDENTIALS_FILE). Secrets are never printed.

Exit codes:
  0  success
  1  the awaited run or build failed, was refused or was stopped (wait-run, wait-build)
  2  usage error, bad input or configuration, or the request failed
  3  timed out (--timeout)

Limits: every request ends within --timeout if given, else 180s per call (60s per attempt);
--body @FILE, --body - and --file read at most 64 MiB (CODEARTS_MAX_BODY_BYTES, in bytes).
Redirects are never followed on API calls; a download follows at most 5, sending no
credentials to another host. --endpoint must not contain user:password@.";

/// The whole `codearts` command.
pub fn command() -> Command {
    let command = Command::new("codearts")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The command line for Huawei Cloud CodeArts Pipeline and CodeArts Build")
        .after_help(ROOT_AFTER_HELP)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .args(global_args())
        .subcommand(
            service(
                "pipeline",
                "CodeArts Pipeline: every operation, and wait-run",
                generated::pipeline::OPS,
            )
            .subcommand(wait_run()),
        )
        .subcommand(
            service(
                "build",
                "CodeArts Build: every operation, and wait-build",
                generated::build::OPS,
            )
            .subcommand(wait_build()),
        )
        .subcommand(raw())
        .subcommand(demo());
    #[cfg(feature = "emulator")]
    let command = command.subcommand(crate::emulator::command());
    command.subcommand(completions())
}

fn global_args() -> Vec<Arg> {
    let global = |id: &'static str| Arg::new(id).long(id).global(true).action(ArgAction::Set);
    vec![
        global("region")
            .value_name("REGION")
            .help("Region, e.g. cn-north-4: picks the service (and IAM) endpoint"),
        global("endpoint")
            .value_name("URL")
            .help("Service endpoint, e.g. http://127.0.0.1:8080 (overrides the region's)"),
        global("iam-endpoint")
            .value_name("URL")
            .help("IAM endpoint for password credentials"),
        global("profile")
            .value_name("NAME")
            .help("Section of the credentials file to use (credentials in the environment are then ignored)"),
        global("auth")
            .value_name("MODE")
            .value_parser(["aksk", "token"])
            .help("aksk: sign with AK/SK; token: send an IAM token (from the user/password variables, or HUAWEICLOUD_SDK_TOKEN)"),
        global("output")
            .short('o')
            .value_name("FORMAT")
            .value_parser(["json", "yaml", "table"])
            .help("How to print answers [default: json]"),
        global("timeout")
            .value_name("DURATION")
            .value_parser(duration::parse)
            .help("Give up after this long, e.g. 30s, 10m (exit code 3); each call defaults to 180s, waits to 10m"),
        Arg::new("debug")
            .long("debug")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Print each request's method and URL, and each answer's status, on stderr (never headers or bodies)"),
    ]
}

fn service(name: &'static str, about: &'static str, ops: &'static [OpSpec]) -> Command {
    Command::new(name)
        .about(about)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommands(ops.iter().map(op_command))
}

fn required(id: &'static str, help: &'static str) -> Arg {
    Arg::new(id)
        .long(id)
        .required(true)
        .value_name("ID")
        .help(help)
}

fn interval() -> Arg {
    Arg::new("interval")
        .long("interval")
        .value_name("DURATION")
        .default_value("2s")
        .value_parser(duration::parse)
        .help("Time between two status reads")
}

const WAIT_AFTER_HELP: &str = "\
The wait ends after --timeout (default 10m). Progress goes to stderr (one updating line on a
terminal); the last answer read is printed on stdout.

Exit codes: 0 succeeded, 1 failed / refused / stopped, 2 usage or request error, 3 timed out.";

fn wait_run() -> Command {
    Command::new("wait-run")
        .about("Wait until a pipeline run ends (polls show-pipeline-run-detail)")
        .after_help(WAIT_AFTER_HELP)
        .arg(required("project-id", "Project id"))
        .arg(required("pipeline-id", "Pipeline id"))
        .arg(required("pipeline-run-id", "Pipeline run id"))
        .arg(interval())
}

fn wait_build() -> Command {
    Command::new("wait-build")
        .about("Wait until a build ends (polls show-job-status and show-history-details)")
        .after_help(WAIT_AFTER_HELP)
        .arg(required("job-id", "Build job id"))
        .arg(
            Arg::new("build-no")
                .long("build-no")
                .required(true)
                .value_name("INT")
                .value_parser(value_parser!(i64))
                .help("Build number"),
        )
        .arg(interval())
}

fn raw() -> Command {
    Command::new("raw")
        .about("Send an authenticated request to any path and print the status and body")
        .after_help("The status goes to stderr, the body to stdout (JSON pretty-printed, or in --output's format). Exit code 0 for a 2xx answer, 2 otherwise.")
        .arg(
            Arg::new("method")
                .required(true)
                .value_name("METHOD")
                .help("GET, POST, PUT, DELETE, ..."),
        )
        .arg(
            Arg::new("path")
                .required(true)
                .value_name("PATH")
                .help("The path, e.g. /v1/job/permission (may include ?query)"),
        )
        .arg(
            Arg::new("query")
                .long("query")
                .value_name("KEY=VALUE")
                .action(ArgAction::Append)
                .help("A query parameter (repeat for several)"),
        )
        .arg(
            Arg::new("header")
                .long("header")
                .value_name("NAME:VALUE")
                .action(ArgAction::Append)
                .help("A request header (repeat for several)"),
        )
        .arg(
            Arg::new("body")
                .long("body")
                .value_name("JSON|@FILE|-")
                .help("The request body: text, @FILE, or - for stdin (Content-Type application/json unless --header sets it)"),
        )
        .arg(
            Arg::new("service")
                .long("service")
                .value_name("SERVICE")
                .value_parser(["pipeline", "build", "iam"])
                .default_value("pipeline")
                .help("Whose endpoint to use with --region"),
        )
}

fn demo() -> Command {
    Command::new("demo")
        .about("Run the seed scenarios end to end: token, pipeline with a rejected manual review, build job permissions")
        .long_about(
            "Run the seed scenarios end to end, printing each step: get an IAM token (for \
             password credentials), create and run a pipeline that stops at a manual review, \
             reject it and show the run refused, then create a build job and show its \
             permission matrix.\n\nWith --endpoint URL the demo runs against that server with \
             the credentials found as usual; without it, against an emulator embedded in this \
             binary (no account, no network) once the emulator is built in.",
        )
        .arg(
            Arg::new("project-id")
                .long("project-id")
                .value_name("ID")
                .help("Project to work in [default: the emulator's demo project]"),
        )
        .arg(
            Arg::new("interval")
                .long("interval")
                .value_name("DURATION")
                .default_value("500ms")
                .value_parser(duration::parse)
                .help("Time between two reads of the run"),
        )
}

fn completions() -> Command {
    Command::new("completions")
        .about("Print a shell completion script")
        .after_help("e.g. `codearts completions bash > /etc/bash_completion.d/codearts`")
        .arg(
            Arg::new("shell")
                .required(true)
                .value_name("SHELL")
                .value_parser(value_parser!(clap_complete::Shell)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_valid() {
        // Checks every subcommand and flag: unique names, valid defaults, no clashes with
        // the global options. Cheaper than running `--help` for each of the 235 operations.
        command().debug_assert();
    }

    #[test]
    fn every_operation_has_a_command() {
        let cmd = command();
        let count = |name: &str| {
            cmd.find_subcommand(name)
                .map(|c| c.get_subcommands().count())
                .unwrap_or(0)
        };
        assert_eq!(count("pipeline"), 100 + 1);
        assert_eq!(count("build"), 135 + 1);
    }

    #[test]
    fn every_operation_renders_its_help() {
        let mut cmd = command();
        cmd.build();
        for service in ["pipeline", "build"] {
            let sub = cmd.find_subcommand_mut(service).unwrap();
            for op in sub.get_subcommands_mut() {
                let help = op.render_long_help().to_string();
                assert!(help.contains("Usage:"), "{}", op.get_name());
            }
        }
    }
}
