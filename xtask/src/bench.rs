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
    let mut build = Command::new(&cargo);
    build
        .current_dir(&root)
        .args(["build", "--release", "--quiet", "-p", "codearts-bench"]);
    // `cargo run` gave this process the package variables of xtask. Passed on, they make
    // cargo rebuild every release dependency: ring's build script asks to rerun when
    // CARGO_MANIFEST_DIR changes, and cargo compares it with its own environment.
    for (name, _) in std::env::vars_os() {
        let is_package_var = name.to_str().is_some_and(|n| {
            n.starts_with("CARGO_PKG_")
                || matches!(
                    n,
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_BIN_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                )
        });
        if is_package_var {
            build.env_remove(name);
        }
    }
    let status = build.status().map_err(|e| format!("{cargo}: {e}"))?;
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
