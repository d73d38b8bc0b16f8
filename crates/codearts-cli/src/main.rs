//! The `codearts` binary: see the `codearts_cli` crate.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(codearts_cli::run(std::env::args_os()))
}
