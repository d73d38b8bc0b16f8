//! The two seed commands: the exact request that arrives and what is printed.

use codearts_testkit::{Reply, TestServer, TEST_AK};

use crate::common::{run, signed};

const PROJECT: &str = "d80a8a6530324b7bac972cbb8a9f28ec";
const PIPELINE: &str = "8bfbd69eac154a0da341705a36294aca";
const RUN: &str = "12abeb9da0964cf3bd3ffd6813153e12";
const JOB_RUN: &str = "97b4991cf3374d8d96e08b38f79c8827";
const STEP_RUN: &str = "6ff8e898026447a9a3eaa592e94b9384";

#[tokio::test(flavor = "multi_thread")]
async fn reject_manual_review() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{ "success" : true }"#).header("X-Request-Id", "rid-1"));
    let mut cmd = signed();
    cmd.args([
        "pipeline",
        "reject-manual-review",
        "--endpoint",
        &server.url(),
    ])
    .args(["--project-id", PROJECT, "--pipeline-id", PIPELINE])
    .args(["--pipeline-run-id", RUN, "--job-run-id", JOB_RUN])
    .args(["--step-run-id", STEP_RUN])
    .args(["--approval-description", "scan failed: CVE-2026-1"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "{\n  \"success\": true\n}\n");
    assert_eq!(out.stderr, "");

    let seen = server.single_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.path,
        format!("/v5/{PROJECT}/api/pipelines/{PIPELINE}/pipeline-runs/{RUN}/jobs/{JOB_RUN}/steps/{STEP_RUN}/refuse")
    );
    assert_eq!(
        seen.raw_query,
        "approval_description=scan%20failed%3A%20CVE-2026-1"
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert!(seen.body.is_empty());
    assert!(seen.header("authorization").unwrap().starts_with(
        "SDK-HMAC-SHA256 Access=TESTAK, SignedHeaders=content-type;host;x-sdk-date, Signature="
    ));
    seen.assert_signed_by(TEST_AK);
}

#[tokio::test(flavor = "multi_thread")]
async fn show_project_job_permission() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        200,
        r#"{"result":{"role_id":3,"job_id":"job-9","is_modify":false,"is_delete":false,"is_view":true,"is_execute":true,"is_copy":true,"is_forbidden":false,"is_manager":false},"status":"success"}"#,
    ));
    let mut cmd = signed();
    cmd.args([
        "build",
        "show-project-job-permission",
        "--endpoint",
        &server.url(),
    ])
    .args(["--project-id", PROJECT, "--job-id", "job-9"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        r#"{
  "result": {
    "role_id": 3,
    "job_id": "job-9",
    "is_modify": false,
    "is_delete": false,
    "is_view": true,
    "is_execute": true,
    "is_copy": true,
    "is_forbidden": false,
    "is_manager": false
  },
  "status": "success"
}
"#
    );
    let seen = server.single_request();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/v1/job/permission");
    assert_eq!(seen.raw_query, format!("job_id=job-9&project_id={PROJECT}"));
    assert!(seen.body.is_empty());
    seen.assert_signed_by(TEST_AK);
}

#[tokio::test(flavor = "multi_thread")]
async fn service_errors_name_code_message_and_request_id() {
    let server = TestServer::start().await;
    server.reply(
        Reply::json(
            403,
            r#"{"error_code":"DEV.00000004","error_msg":"no permission"}"#,
        )
        .header("X-Request-Id", "abc"),
    );
    let mut cmd = signed();
    cmd.args([
        "build",
        "show-project-job-permission",
        "--endpoint",
        &server.url(),
    ])
    .args(["--project-id", PROJECT, "--job-id", "job-9"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: DEV.00000004: no permission (HTTP 403, request id abc)\n"
    );
}
