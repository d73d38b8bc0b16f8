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

/// Every operation of both services, built by the official SDK's request and model classes,
/// against an emulator started in this process; then the emulator's own log confirms it:
/// every operation answered 2xx, nothing was refused authentication, nothing was a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_every_operation() {
    let probe = Command::new(python())
        .args([
            "-c",
            "import huaweicloudsdkcore, huaweicloudsdkcodeartspipeline, huaweicloudsdkcodeartsbuild",
        ])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            !required(),
            "the official Python SDK packages are not installed"
        );
        eprintln!("skipped: the official Python SDK packages are not installed (see .ci/run)");
        return;
    }
    // Builds stay running, so stopping one is a real transition.
    let fixture = codearts_emulator::Fixture {
        polls_until_done: Some(1000),
        ..codearts_emulator::Fixture::demo()
    };
    let emu = codearts_emulator::Emulator::builder()
        .fixture(fixture)
        .start()
        .await
        .unwrap();
    let url = emu.url();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/all_operations.py"
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python()).args([script, url.as_str()]).output()
    })
    .await
    .unwrap()
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the official SDK failed against the emulator:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("all operations: 235/235 passed"),
        "{stdout}"
    );

    let log = emu.log();
    let refused: Vec<_> = log.iter().filter(|e| e.status == 401).collect();
    assert!(refused.is_empty(), "refused authentication: {refused:?}");
    let failed: Vec<_> = log.iter().filter(|e| e.status >= 500).collect();
    assert!(failed.is_empty(), "5xx: {failed:?}");
    // Distinct paths answered 2xx per operation (`list_templates` is in both services).
    let mut answered: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for e in log.iter().filter(|e| (200..300).contains(&e.status)) {
        if let Some(op) = e.op.as_deref() {
            answered.entry(op).or_default().insert(e.path.as_str());
        }
    }
    let text = std::fs::read_to_string(script).unwrap();
    let mut expected: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for rest in text.split("{\"op\":\"").skip(1) {
        *expected.entry(rest.split('"').next().unwrap()).or_default() += 1;
    }
    assert_eq!(expected.values().sum::<usize>(), 235);
    let missing: Vec<_> = expected
        .iter()
        .filter(|(op, n)| answered.get(*op).map_or(0, |paths| paths.len()) < **n)
        .collect();
    assert!(
        missing.is_empty(),
        "no 2xx in the emulator's log: {missing:?}"
    );
    eprintln!("{stdout}");
    emu.shutdown().await;
}
