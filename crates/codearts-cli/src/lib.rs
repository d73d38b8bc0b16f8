//! `codearts`: the command line for Huawei Cloud CodeArts Pipeline and CodeArts Build.
//!
//! Every operation of both services is a subcommand, generated from the spec like the SDK
//! facades (`codearts pipeline reject-manual-review --project-id .. ...`,
//! `codearts build show-project-job-permission --project-id .. --job-id ..`), plus:
//!
//! - `codearts raw METHOD PATH`: an authenticated request to any path;
//! - `codearts pipeline wait-run` / `codearts build wait-build`: poll until a run ends;
//! - `codearts demo`: the seed scenarios end to end against any compatible server;
//! - `codearts completions SHELL`.
//!
//! The operation commands are rows of a generated static table ([`ops::OpSpec`]) from which
//! clap's builder API makes the command tree at run time, and one generated `match` builds
//! each typed request from the flags and calls the SDK client: far less code to compile than
//! one derive struct per operation.
//!
//! Exit codes: 0 success; 1 the awaited run failed, was refused or was stopped; 2 usage or
//! request error; 3 timed out.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::ArgMatches;
use codearts_build::BuildClient;
use codearts_pipeline::PipelineClient;
use futures_util::StreamExt;

pub mod cli;
pub mod context;
pub mod demo;
pub mod duration;
#[cfg(feature = "emulator")]
pub mod emulator;
mod error;
pub mod generated;
pub mod ops;
pub mod output;
pub mod raw;
pub mod wait;

pub use context::Globals;
pub use error::{describe, CliError, EXIT_ERROR, EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT};

use ops::{Input, Outcome};

/// Runs `codearts` with `args` (the first is the program name) and returns the exit code.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = match cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(EXIT_ERROR);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_ERROR;
        }
    };
    match runtime.block_on(dispatch(&matches)) {
        Ok(code) => code,
        Err(e) => {
            // Messages quote servers (error_msg, request ids, Locations): no raw controls.
            eprintln!("error: {}", output::escape_control(&e.message));
            e.code
        }
    }
}

async fn dispatch(matches: &ArgMatches) -> Result<u8, CliError> {
    let globals = Globals::from_matches(matches);
    let Some((name, sub)) = matches.subcommand() else {
        return Err(CliError::usage("no command given; see `codearts --help`"));
    };
    match name {
        "pipeline" | "build" => {
            let Some((op, op_matches)) = sub.subcommand() else {
                return Err(CliError::usage(format!(
                    "`codearts {name}` needs an operation"
                )));
            };
            match (name, op) {
                ("pipeline", "wait-run") => wait_run(&globals, op_matches).await,
                ("build", "wait-build") => wait_build(&globals, op_matches).await,
                _ => with_timeout(&globals, operation(&globals, name, op, op_matches)).await,
            }
        }
        "raw" => with_timeout(&globals, raw::run(&globals, sub)).await,
        "demo" => with_timeout(&globals, run_demo(&globals, sub)).await,
        #[cfg(feature = "emulator")]
        "emulator" => emulator::run(sub).await,
        "completions" => {
            if let Some(shell) = sub.get_one::<clap_complete::Shell>("shell") {
                let mut cmd = cli::command();
                clap_complete::generate(*shell, &mut cmd, "codearts", &mut std::io::stdout());
            }
            Ok(EXIT_OK)
        }
        other => Err(CliError::usage(format!("unknown command `{other}`"))),
    }
}

/// Runs `work` within `--timeout`, if one is given.
async fn with_timeout<F>(globals: &Globals, work: F) -> Result<u8, CliError>
where
    F: std::future::Future<Output = Result<u8, CliError>>,
{
    match globals.timeout {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            // The SDK's own operation deadline (set from --timeout) usually fires first.
            Ok(Err(e)) if e.code == EXIT_TIMEOUT => Err(CliError::timeout(format!(
                "timed out after {} ({})",
                duration::show(limit),
                e.message
            ))),
            Ok(result) => result,
            Err(_) => Err(CliError::timeout(format!(
                "timed out after {}",
                duration::show(limit)
            ))),
        },
    }
}

async fn operation(
    globals: &Globals,
    service: &str,
    op: &str,
    matches: &ArgMatches,
) -> Result<u8, CliError> {
    let input = Input::new(matches);
    let outcome = if service == "pipeline" {
        let client: PipelineClient = globals.client()?;
        generated::pipeline::call(&client, op, &input).await?
    } else {
        let client: BuildClient = globals.client()?;
        generated::build::call(&client, op, &input).await?
    };
    match outcome {
        Outcome::Json(value) => print_value(globals, &value),
        Outcome::Download(response) => {
            let mut stream = response.into_stream();
            let mut sink: Box<dyn Write> = match input.output_file() {
                Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
                    CliError::usage(format!("--output-file: cannot create `{path}`: {e}"))
                })?),
                None => Box::new(std::io::stdout().lock()),
            };
            // Raw bytes to a file or a pipe; on a terminal, text with controls escaped.
            let to_terminal = input.output_file().is_none() && std::io::stdout().is_terminal();
            let mut written = 0usize;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                written += chunk.len();
                let result = if to_terminal {
                    sink.write_all(output::escape_bytes(&chunk).as_bytes())
                } else {
                    sink.write_all(&chunk)
                };
                result.map_err(|e| CliError::failure(format!("writing the download: {e}")))?;
            }
            sink.flush()
                .map_err(|e| CliError::failure(format!("writing the download: {e}")))?;
            if let Some(path) = input.output_file() {
                eprintln!("wrote {written} bytes to {path}");
            }
        }
    }
    Ok(EXIT_OK)
}

fn print_value(globals: &Globals, value: &serde_json::Value) {
    let text = output::render(value, globals.output);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

fn poll(globals: &Globals, matches: &ArgMatches) -> wait::Poll {
    wait::Poll {
        interval: matches
            .get_one::<std::time::Duration>("interval")
            .copied()
            .unwrap_or(std::time::Duration::from_secs(2)),
        timeout: globals.timeout.unwrap_or(wait::DEFAULT_WAIT),
    }
}

fn text<'a>(matches: &'a ArgMatches, id: &str) -> &'a str {
    matches
        .get_one::<String>(id)
        .map(String::as_str)
        .unwrap_or_default()
}

async fn wait_run(globals: &Globals, matches: &ArgMatches) -> Result<u8, CliError> {
    let client: PipelineClient = globals.client()?;
    let waited = wait::pipeline_run(
        &client,
        text(matches, "project-id"),
        text(matches, "pipeline-id"),
        text(matches, "pipeline-run-id"),
        poll(globals, matches),
    )
    .await?;
    print_value(globals, &waited.last);
    Ok(waited.code)
}

async fn wait_build(globals: &Globals, matches: &ArgMatches) -> Result<u8, CliError> {
    let client: BuildClient = globals.client()?;
    let build_no = matches.get_one::<i64>("build-no").copied().unwrap_or(0);
    let waited = wait::build(
        &client,
        text(matches, "job-id"),
        build_no,
        poll(globals, matches),
    )
    .await?;
    print_value(globals, &waited.last);
    Ok(waited.code)
}

/// What `demo` without `--endpoint` says when the emulator is not built in.
#[cfg(not(feature = "emulator"))]
const NO_EMULATOR: &str = "this codearts was built without the embedded emulator (cargo feature \
     `emulator`): pass --endpoint URL to run the demo against a server, or rebuild with the \
     default features";

async fn run_demo(globals: &Globals, matches: &ArgMatches) -> Result<u8, CliError> {
    let interval = matches
        .get_one::<std::time::Duration>("interval")
        .copied()
        .unwrap_or(std::time::Duration::from_millis(500));
    let project = matches.get_one::<String>("project-id").cloned();
    // Keeps an embedded emulator alive until the demo ends.
    #[cfg(feature = "emulator")]
    let mut _emulator = None;
    let target = match &globals.endpoint {
        Some(endpoint) => demo::DemoTarget {
            endpoint: endpoint.clone(),
            iam_endpoint: globals.iam_endpoint.clone(),
            credentials: globals.credentials()?,
            project_id: project.unwrap_or_else(|| demo::DEMO_PROJECT_ID.to_owned()),
            http: globals.http()?,
            poll_interval: interval,
            step_timeout: std::time::Duration::from_secs(60),
        },
        #[cfg(not(feature = "emulator"))]
        None => return Err(CliError::usage(NO_EMULATOR)),
        #[cfg(feature = "emulator")]
        None => {
            let embedded = emulator::embedded().await?;
            _emulator = Some(embedded.handle);
            demo::DemoTarget {
                iam_endpoint: Some(embedded.endpoint.clone()),
                endpoint: embedded.endpoint,
                credentials: embedded.credentials,
                project_id: project.unwrap_or(embedded.project_id),
                http: globals.http()?,
                poll_interval: interval,
                step_timeout: std::time::Duration::from_secs(60),
            }
        }
    };
    let mut stdout = std::io::stdout();
    demo::run(&target, &mut stdout).await?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Kind, Loc, OpSpec};

    struct NoPipeline;
    #[async_trait::async_trait]
    impl codearts_pipeline::stub::Pipeline for NoPipeline {}

    struct NoBuild;
    #[async_trait::async_trait]
    impl codearts_build::stub::Build for NoBuild {}

    /// Every flag of `op` with a sample value.
    fn sample_args(service: &str, op: &OpSpec, file: &str) -> Vec<String> {
        let mut args = vec![
            "codearts".to_owned(),
            service.to_owned(),
            op.command.to_owned(),
        ];
        for a in op.args {
            let value = match (a.loc, a.kind) {
                (Loc::File, _) => file.to_owned(),
                (_, Kind::Str) => "s-1".to_owned(),
                (_, Kind::Int) => "-42".to_owned(),
                (_, Kind::Float) => "1.5".to_owned(),
                (_, Kind::Bool) => "true".to_owned(),
            };
            let times = if a.many { 2 } else { 1 };
            for _ in 0..times {
                args.push(format!("--{}", a.flag));
                args.push(value.clone());
            }
        }
        args
    }

    /// Parses every operation's flags and runs the generated arm against a stub that
    /// implements nothing: each arm reads each of its flags with the type clap parsed it as
    /// (a mismatch panics), builds the typed request and calls the client.
    #[test]
    fn every_generated_arm_reads_its_flags_and_calls_the_client() {
        let dir = std::env::temp_dir().join(format!("codearts-cli-arms-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("upload.bin");
        std::fs::write(&file, b"data").unwrap();
        let file = file.to_string_lossy().into_owned();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pipeline = PipelineClient::from_stub(NoPipeline);
        let build = BuildClient::from_stub(NoBuild);
        let mut calls = 0;
        for (service, ops) in [
            ("pipeline", generated::pipeline::OPS),
            ("build", generated::build::OPS),
        ] {
            for op in ops {
                let matches = cli::command()
                    .try_get_matches_from(sample_args(service, op, &file))
                    .unwrap_or_else(|e| panic!("{service} {}: {e}", op.command));
                let (_, sub) = matches.subcommand().unwrap();
                let (name, op_matches) = sub.subcommand().unwrap();
                assert_eq!(name, op.command);
                let input = Input::new(op_matches);
                let result = runtime.block_on(async {
                    if service == "pipeline" {
                        generated::pipeline::call(&pipeline, name, &input).await
                    } else {
                        generated::build::call(&build, name, &input).await
                    }
                });
                match result {
                    Err(e) => assert!(
                        e.message.contains("not implemented by this stub")
                            && e.message.contains(op.operation),
                        "{service} {}: {}",
                        op.command,
                        e.message
                    ),
                    Ok(_) => panic!("{service} {}: the stub answered", op.command),
                }
                calls += 1;
            }
        }
        assert_eq!(calls, 235);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bodies_are_decoded_into_the_typed_body() {
        let matches = cli::command()
            .try_get_matches_from([
                "codearts",
                "pipeline",
                "run-pipeline",
                "--project-id",
                "p",
                "--pipeline-id",
                "q",
                "--body",
                r#"{"description": 5}"#,
            ])
            .unwrap();
        let (_, sub) = matches.subcommand().unwrap();
        let (name, m) = sub.subcommand().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let client = PipelineClient::from_stub(NoPipeline);
        let err = runtime
            .block_on(generated::pipeline::call(&client, name, &Input::new(m)))
            .err()
            .unwrap();
        assert_eq!(err.code, EXIT_ERROR);
        assert!(
            err.message.contains("field `description`"),
            "{}",
            err.message
        );
    }
}
