//! `codearts demo --endpoint URL` against a scripted server.

use codearts_testkit::{Reply, TestServer, TEST_AK};

use crate::common::{bare, run, signed};
use crate::globals::token_reply;

fn script(server: &TestServer) {
    server.reply(Reply::json(200, r#"{"pipeline_id":"pl-1"}"#));
    server.reply(Reply::json(200, r#"{"pipeline_run_id":"run-1"}"#));
    // Not at the review yet, then waiting at it.
    server.reply(Reply::json(200, r#"{"id":"run-1","status":"RUNNING","stages":[{"jobs":[{"id":"job-run-1","steps":[{"id":"step-run-1","name":"Manual review","task":"official_manual_review","status":"INIT"}]}]}]}"#));
    server.reply(Reply::json(200, r#"{"id":"run-1","status":"PAUSED","stages":[{"jobs":[{"id":"job-run-1","steps":[{"id":"step-run-1","name":"Manual review","task":"official_manual_review","status":"PAUSED"}]}]}]}"#));
    server.reply(Reply::json(200, r#"{"success":true}"#));
    server.reply(Reply::json(200, r#"{"id":"run-1","status":"FAILED"}"#));
    server.reply(Reply::json(
        200,
        r#"{"result":{"job_id":"job-1"},"status":"success"}"#,
    ));
    server.reply(Reply::json(200, r#"{"result":{"role_id":3,"job_id":"job-1","is_view":true,"is_execute":true,"is_modify":true,"is_copy":true,"is_delete":true,"is_forbidden":false,"is_manager":true},"status":"success"}"#));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_runs_the_seed_scenarios_with_aksk() {
    let server = TestServer::start().await;
    script(&server);
    let mut cmd = signed();
    cmd.args(["demo", "--endpoint", &server.url(), "--project-id", "proj"])
        .args(["--interval", "10ms"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[1],
        "1. AK/SK: every request is signed with SDK-HMAC-SHA256; no token needed"
    );
    assert!(
        lines[2].starts_with("2. created pipeline `codearts-demo-"),
        "{}",
        out.stdout
    );
    assert!(
        lines[2].ends_with("(pl-1) with one manual review step"),
        "{}",
        out.stdout
    );
    assert_eq!(lines[3], "3. started run run-1");
    assert_eq!(
        lines[4],
        "4. run run-1 is PAUSED at the manual review (job run job-run-1, step run step-run-1)"
    );
    assert_eq!(lines[5], "5. rejected the review: success = true");
    assert_eq!(
        lines[6],
        "6. run run-1 ended: FAILED (refused at the manual review)"
    );
    assert!(
        lines[7].starts_with("7. created build job `codearts-demo-"),
        "{}",
        out.stdout
    );
    assert_eq!(lines[8], "8. your permissions on job job-1 (role 3):");
    assert_eq!(lines[9], "     view     yes");
    assert_eq!(lines[14], "     forbid   no");
    assert_eq!(lines.last(), Some(&"done."));

    let requests = server.requests();
    let summary: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        summary,
        [
            "POST /v5/proj/api/pipelines",
            "POST /v5/proj/api/pipelines/pl-1/run",
            "GET /v5/proj/api/pipelines/pl-1/pipeline-runs/detail",
            "GET /v5/proj/api/pipelines/pl-1/pipeline-runs/detail",
            "POST /v5/proj/api/pipelines/pl-1/pipeline-runs/run-1/jobs/job-run-1/steps/step-run-1/refuse",
            "GET /v5/proj/api/pipelines/pl-1/pipeline-runs/detail",
            "POST /v3/jobs/create",
            "GET /v1/job/permission",
        ]
    );
    for r in &requests {
        r.assert_signed_by(TEST_AK);
    }
    let created = requests[0].json();
    assert_eq!(created["is_publish"], false);
    assert!(created["definition"]
        .as_str()
        .unwrap()
        .contains("official_manual_review"));
    assert_eq!(requests[6].json()["project_id"], "proj");
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_gets_a_token_for_password_credentials() {
    let server = TestServer::start().await;
    server.reply(token_reply());
    script(&server);
    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_USER_NAME", "alice")
        .env("HUAWEICLOUD_SDK_PASSWORD", "pa55-word")
        .env("HUAWEICLOUD_SDK_DOMAIN_NAME", "acme")
        .args(["demo", "--endpoint", &server.url(), "--interval", "10ms"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let line = out.stdout.lines().nth(1).unwrap();
    assert!(
        line.starts_with(&format!(
            "1. IAM token for user `alice` from {}: obtained (23 characters, expires in ",
            server.url()
        )),
        "{line}"
    );
    assert!(!out.stdout.contains("MIIT-issued-token-value"));
    let requests = server.requests();
    assert_eq!(requests[0].path, "/v3/auth/tokens");
    assert_eq!(
        requests[1].header("x-auth-token"),
        Some("MIIT-issued-token-value")
    );
}

/// `codearts emulator` serves with the emulator binary's options and prints its URL first.
#[cfg(feature = "emulator")]
#[test]
fn codearts_emulator_serves_and_answers_signed_calls() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_codearts"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--seed", "7"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_codearts"))
        .env_clear()
        .env("HOME", crate::common::temp_dir("home"))
        .env("HUAWEICLOUD_SDK_AK", codearts_emulator::fixture::DEMO_AK)
        .env("HUAWEICLOUD_SDK_SK", codearts_emulator::fixture::DEMO_SK)
        .args(["build", "show-project-job-permission", "--endpoint", &url])
        .args([
            "--project-id",
            codearts_emulator::fixture::DEMO_PROJECT_ID,
            "--job-id",
            "nope",
        ])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Signed and authenticated: the emulator looked the job up and did not find it.
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert!(
        !stderr.contains("APIGW.03"),
        "refused as unauthenticated: {stderr}"
    );
}

/// The README's main-job command, exactly as written there, run with no account and no
/// network: the embedded emulator serves every step.
#[cfg(feature = "emulator")]
#[tokio::test(flavor = "multi_thread")]
async fn the_readme_main_job_runs_end_to_end_against_the_embedded_emulator() {
    let readme = include_str!("../../../../README.md");
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run -p codearts-cli -- demo"))
        .expect("the README names the main-job command");
    let args: Vec<&str> = line
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .skip(5) // `cargo run -p codearts-cli --`: the built binary stands for them.
        .collect();
    assert_eq!(args.first(), Some(&"demo"));
    let mut cmd = bare();
    cmd.args(&args);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let expected = [
        "1. IAM token for user `demo`",
        "2. created pipeline",
        "with one manual review step",
        "3. started run",
        "is RUNNING at the manual review",
        "5. rejected the review: success = true",
        "ended: FAILED (refused at the manual review)",
        "7. created build job",
        "8. your permissions on job",
        "execute  yes",
        "done.",
    ];
    let mut rest = out.stdout.as_str();
    for piece in expected {
        let at = rest
            .find(piece)
            .unwrap_or_else(|| panic!("`{piece}` missing or out of order in:\n{}", out.stdout));
        rest = &rest[at + piece.len()..];
    }
    assert!(!out
        .all()
        .contains(codearts_emulator::fixture::DEMO_PASSWORD));
}

/// Built without the emulator, `demo` needs `--endpoint` and says so.
#[cfg(not(feature = "emulator"))]
#[tokio::test(flavor = "multi_thread")]
async fn without_the_emulator_demo_asks_for_an_endpoint() {
    let mut cmd = crate::common::signed();
    cmd.arg("demo");
    let out = crate::common::run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("built without the embedded emulator"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--endpoint"), "{}", out.stderr);

    let mut cmd = crate::common::signed();
    cmd.arg("emulator");
    let out = crate::common::run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
}
