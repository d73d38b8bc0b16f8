//! The binary against the real emulator (in this process), as a user would drive a cloud:
//! create and run pipelines, wait for them, refuse a review, read a permission matrix, make a
//! raw call, with AK/SK and with an IAM token.

use codearts_emulator::fixture::{
    DEMO_AK, DEMO_DOMAIN, DEMO_PASSWORD, DEMO_PROJECT_ID, DEMO_SK, DEMO_USER,
};
use codearts_emulator::{Emulator, EmulatorHandle};
use serde_json::{json, Value};

use crate::common::{bare, run, Run};

const REVIEW: &str = r#"{"stages":[{"name":"Gate","jobs":[{"name":"Release approval","steps":[{"name":"Manual review","task":"official_devcloud_manualReview"}]}]}]}"#;
const PLAIN: &str = r#"{"stages":[{"name":"Build","jobs":[{"name":"Compile","steps":[{"name":"Compile","task":"official_shell_plugin"}]}]}]}"#;

/// `codearts ARGS --endpoint URL` signed with the demo AK/SK.
async fn codearts(emu: &EmulatorHandle, args: &[&str]) -> Run {
    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_AK", DEMO_AK)
        .env("HUAWEICLOUD_SDK_SK", DEMO_SK)
        .args(args)
        .args(["--endpoint", &emu.url()]);
    run(cmd).await
}

fn json_of(out: &Run) -> Value {
    assert_eq!(out.code, 0, "{}", out.all());
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

async fn create_and_run(emu: &EmulatorHandle, definition: &str) -> (String, String) {
    let body =
        json!({"name": "cli-e2e", "is_publish": false, "definition": definition}).to_string();
    let created = json_of(
        &codearts(
            emu,
            &[
                "pipeline",
                "create-pipeline-new",
                "--project-id",
                DEMO_PROJECT_ID,
                "--body",
                &body,
            ],
        )
        .await,
    );
    let pipeline = created["pipeline_id"].as_str().unwrap().to_owned();
    let started = json_of(
        &codearts(
            emu,
            &[
                "pipeline",
                "run-pipeline",
                "--project-id",
                DEMO_PROJECT_ID,
                "--pipeline-id",
                &pipeline,
            ],
        )
        .await,
    );
    (
        pipeline,
        started["pipeline_run_id"].as_str().unwrap().to_owned(),
    )
}

async fn wait_run(emu: &EmulatorHandle, pipeline: &str, run_id: &str, timeout: &str) -> Run {
    codearts(
        emu,
        &[
            "pipeline",
            "wait-run",
            "--project-id",
            DEMO_PROJECT_ID,
            "--pipeline-id",
            pipeline,
            "--pipeline-run-id",
            run_id,
            "--interval",
            "20ms",
            "--timeout",
            timeout,
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_without_review_completes_and_wait_run_exits_0() {
    let emu = Emulator::builder().start().await.unwrap();
    let (pipeline, run_id) = create_and_run(&emu, PLAIN).await;
    let out = wait_run(&emu, &pipeline, &run_id, "30s").await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(json_of(&out)["status"], "COMPLETED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_review_times_out_then_refusing_it_fails_the_run() {
    let emu = Emulator::builder().start().await.unwrap();
    let (pipeline, run_id) = create_and_run(&emu, REVIEW).await;

    let out = wait_run(&emu, &pipeline, &run_id, "300ms").await;
    assert_eq!(
        out.code,
        3,
        "waiting at the review is a time-out: {}",
        out.all()
    );
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);

    let detail = json_of(
        &codearts(
            &emu,
            &[
                "pipeline",
                "show-pipeline-run-detail",
                "--project-id",
                DEMO_PROJECT_ID,
                "--pipeline-id",
                &pipeline,
                "--pipeline-run-id",
                &run_id,
            ],
        )
        .await,
    );
    let job = &detail["stages"][0]["jobs"][0];
    let (job_run, step_run) = (
        job["id"].as_str().unwrap(),
        job["steps"][0]["id"].as_str().unwrap(),
    );
    assert_eq!(job["steps"][0]["status"], "PENDING");

    // Seed operation 1, from the command line.
    let refused = json_of(
        &codearts(
            &emu,
            &[
                "pipeline",
                "reject-manual-review",
                "--project-id",
                DEMO_PROJECT_ID,
                "--pipeline-id",
                &pipeline,
                "--pipeline-run-id",
                &run_id,
                "--job-run-id",
                job_run,
                "--step-run-id",
                step_run,
                "--approval-description",
                "no release notes",
            ],
        )
        .await,
    );
    assert_eq!(refused, json!({"success": true}));

    let out = wait_run(&emu, &pipeline, &run_id, "30s").await;
    assert_eq!(out.code, 1, "a refused run is a failure: {}", out.all());
    let last: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(last["status"], "FAILED");

    // Refusing again: the step no longer waits, and the service says so.
    let again = codearts(
        &emu,
        &[
            "pipeline",
            "reject-manual-review",
            "--project-id",
            DEMO_PROJECT_ID,
            "--pipeline-id",
            &pipeline,
            "--pipeline-run-id",
            &run_id,
            "--job-run-id",
            job_run,
            "--step-run-id",
            step_run,
        ],
    )
    .await;
    assert_eq!(again.code, 2, "{}", again.all());
    assert!(
        again.stderr.contains("HTTP 400") && again.stderr.contains("request id"),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_job_permission_matrix_with_a_token_and_a_raw_call() {
    let emu = Emulator::builder().start().await.unwrap();
    let body = json!({
        "project_id": DEMO_PROJECT_ID, "job_name": "cli-e2e-build", "arch": "x86-64",
        "steps": [{"module_id": "devcloud2018.codeci_action_20043.action", "name": "Maven", "version": "1.0"}]
    })
    .to_string();
    let created = json_of(&codearts(&emu, &["build", "create-build-job", "--body", &body]).await);
    let job = created["result"]["job_id"]
        .as_str()
        .expect("a job id")
        .to_owned();

    // Seed operation 2, with an IAM token from the emulator's IAM instead of AK/SK.
    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_USER_NAME", DEMO_USER)
        .env("HUAWEICLOUD_SDK_PASSWORD", DEMO_PASSWORD)
        .env("HUAWEICLOUD_SDK_DOMAIN_NAME", DEMO_DOMAIN)
        .env("HUAWEICLOUD_SDK_PROJECT_NAME", "demo-project")
        .args([
            "build",
            "show-project-job-permission",
            "--project-id",
            DEMO_PROJECT_ID,
            "--job-id",
            &job,
        ])
        .args([
            "--auth",
            "token",
            "--endpoint",
            &emu.url(),
            "--iam-endpoint",
            &emu.url(),
            "-o",
            "yaml",
        ]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("is_execute: true"), "{}", out.stdout);
    assert!(out.stdout.contains("status: success"), "{}", out.stdout);
    assert!(emu
        .log()
        .iter()
        .any(|e| e.path == "/v3/auth/tokens" && e.status == 201));
    assert!(!out.all().contains(DEMO_PASSWORD));

    // The same call as a raw signed request.
    let out = codearts(
        &emu,
        &[
            "raw",
            "GET",
            "/v1/job/permission",
            "--service",
            "build",
            "--query",
            &format!("project_id={DEMO_PROJECT_ID}"),
            "--query",
            &format!("job_id={job}"),
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.all());
    let raw: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(raw["result"]["job_id"], job.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_refused_with_the_gateway_code() {
    let emu = Emulator::builder().start().await.unwrap();
    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_AK", DEMO_AK)
        .env("HUAWEICLOUD_SDK_SK", "not-the-secret-key")
        .args([
            "pipeline",
            "list-pipelines",
            "--project-id",
            DEMO_PROJECT_ID,
            "--endpoint",
            &emu.url(),
        ]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("APIGW.0304") && out.stderr.contains("HTTP 401"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains("not-the-secret-key"));
}
