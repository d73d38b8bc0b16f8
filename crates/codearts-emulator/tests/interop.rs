//! Interop with code we did not write: the official Huawei Cloud Python SDK drives the
//! emulator binary (`tests/interop/official_sdk.py`).
//!
//! Skipped (with a message) when `python3` or the official packages are missing, unless
//! `CODEARTS_INTEROP_REQUIRED=1` (as `.ci/interop` sets it).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn required() -> bool {
    std::env::var("CODEARTS_INTEROP_REQUIRED").is_ok_and(|v| v == "1")
}

fn python() -> String {
    std::env::var("CODEARTS_INTEROP_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

#[test]
fn official_python_sdk_against_the_emulator_binary() {
    let probe = Command::new(python())
        .args([
            "-c",
            "import huaweicloudsdkcore, huaweicloudsdkcodeartspipeline, huaweicloudsdkcodeartsbuild, huaweicloudsdkiam",
        ])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            !required(),
            "the official Python SDK packages are not installed"
        );
        eprintln!("skipped: the official Python SDK packages are not installed (see .ci/interop)");
        return;
    }
    let mut emulator = Command::new(env!("CARGO_BIN_EXE_codearts-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the emulator binary starts");
    let mut url = String::new();
    BufReader::new(emulator.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/official_sdk.py");
    let output = Command::new(python()).args([script, url.trim()]).output();
    let _ = emulator.kill();
    let _ = emulator.wait();
    let output = output.expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the official SDK failed against the emulator:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("refused with a wrong SK"), "{stdout}");
    eprintln!("{stdout}");
}
