//! Project automation for codearts-rs, run as `cargo xtask <command>`.
//!
//! - `import-spec`: reads the official SDK packages (pinned) and writes `spec/*.json`.
//! - `apply-overlay [--check]`: merges `spec/overlay/*.json` (retry safety, paging) into `spec/`.
//! - `codegen [--check]`: renders models, facades and tests from `spec/`.
//! - `release [--dry-run]`: bumps versions, writes the changelog, dry-runs `cargo publish`.
//! - `bench [--quick] [...]`: builds and runs the end-to-end benchmark (`codearts-bench`).

mod bench;
mod codegen;
mod import_spec;
mod overlay;
mod release;

use std::path::PathBuf;
use std::process::ExitCode;

/// The workspace root: the parent of this crate's folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        "import-spec" => import_spec::run(rest),
        "apply-overlay" => overlay::run(rest),
        "codegen" => codegen::run(rest),
        "release" => release::run(rest),
        "bench" => bench::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  import-spec [--offline]   read the pinned official SDK packages and rewrite spec/
  apply-overlay [--check]   merge spec/overlay/ (retry safety, paging) into spec/
  codegen [--check]         render generated code from spec/ (--check: fail if stale)
  release [--bump patch|minor|major] [--dry-run]
                            bump versions, write CHANGELOG.md, dry-run cargo publish
  bench [--quick] [--rounds N] [--calls N] [--no-python] [...]
                            build (release) and run the end-to-end benchmark; JSON in
                            target/bench/e2e.json (see docs/benchmarks.md)";
