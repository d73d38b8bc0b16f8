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

#[tokio::test(flavor = "multi_thread")]
async fn demo_without_endpoint_names_the_missing_emulator() {
    let mut cmd = signed();
    cmd.arg("demo");
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("codearts demo --endpoint URL"),
        "{}",
        out.stderr
    );
}
