//! `cargo xtask bench`: builds the end-to-end benchmark in release mode and runs it.
//!
//! Arguments after `bench` go to the benchmark (`--quick`, `--rounds N`, ...); the JSON goes to
//! `<target>/bench/e2e.json` unless `--out` says otherwise.

use std::path::PathBuf;
use std::process::Command;

use crate::workspace_root;

/// Builds `codearts-bench` (release) and runs it with `args`.
pub fn run(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "--release", "--quiet", "-p", "codearts-bench"])
        .status()
        .map_err(|e| format!("{cargo}: {e}"))?;
    if !status.success() {
        return Err("building codearts-bench failed".to_owned());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_relative() { root.join(t) } else { t })
        .unwrap_or_else(|| root.join("target"));
    let binary = target.join("release").join("codearts-bench");
    let mut command = Command::new(&binary);
    command.current_dir(&root).args(args);
    if !args.iter().any(|a| a == "--out") {
        command
            .arg("--out")
            .arg(target.join("bench").join("e2e.json"));
    }
    let status = command
        .status()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err("the benchmark failed".to_owned())
    }
}
