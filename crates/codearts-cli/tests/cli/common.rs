//! Running the binary with a clean environment and reading what it printed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use codearts_testkit::{TEST_AK, TEST_SK};

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for searching.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A fresh empty directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "codearts-cli-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with an empty environment: a home without a credentials file, nothing else.
pub fn bare() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_codearts"));
    cmd.env_clear().env("HOME", temp_dir("home"));
    cmd
}

/// The binary with the test AK/SK in the environment.
pub fn signed() -> assert_cmd::Command {
    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_AK", TEST_AK)
        .env("HUAWEICLOUD_SDK_SK", TEST_SK);
    cmd
}

/// Runs `cmd` off the async runtime (the test server keeps serving meanwhile).
pub async fn run(mut cmd: assert_cmd::Command) -> Run {
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("run codearts"))
        .await
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
