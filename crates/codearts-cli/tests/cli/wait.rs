//! `pipeline wait-run` and `build wait-build`: exit codes from scripted status replies.

use codearts_testkit::{Reply, TestServer};

use crate::common::{run, signed};

fn run_status(status: &str) -> Reply {
    Reply::json(
        200,
        &format!(r#"{{"id":"r1","pipeline_id":"pl","status":"{status}","run_number":4}}"#),
    )
}

fn wait_run_cmd(server: &TestServer) -> assert_cmd::Command {
    let mut cmd = signed();
    cmd.args(["pipeline", "wait-run", "--endpoint", &server.url()])
        .args([
            "--project-id",
            "p1",
            "--pipeline-id",
            "pl",
            "--pipeline-run-id",
            "r1",
        ])
        .args(["--interval", "10ms"]);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_run_success_exits_0() {
    let server = TestServer::start().await;
    for status in ["QUEUED", "RUNNING", "RUNNING", "COMPLETED"] {
        server.reply(run_status(status));
    }
    let out = run(wait_run_cmd(&server)).await;
    assert_eq!(out.code, 0, "{out:?}");
    let last: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(last["status"], "COMPLETED");
    // Not a terminal: one plain line per change of status.
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stderr);
    assert!(
        lines[0].starts_with("pipeline run r1: QUEUED ("),
        "{}",
        out.stderr
    );
    assert!(
        lines[2].starts_with("pipeline run r1: COMPLETED ("),
        "{}",
        out.stderr
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        requests[0].path,
        "/v5/p1/api/pipelines/pl/pipeline-runs/detail"
    );
    assert_eq!(requests[0].raw_query, "pipeline_run_id=r1");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_run_failure_exits_1() {
    for end in ["FAILED", "CANCELED"] {
        let server = TestServer::start().await;
        server.reply(run_status("RUNNING"));
        server.reply(run_status(end));
        let out = run(wait_run_cmd(&server)).await;
        assert_eq!(out.code, 1, "{end}: {out:?}");
        assert!(
            out.stderr.contains(&format!("pipeline run r1: {end}")),
            "{}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_run_timeout_exits_3() {
    let server = TestServer::start().await;
    for _ in 0..200 {
        server.reply(run_status("RUNNING"));
    }
    let mut cmd = wait_run_cmd(&server);
    cmd.args(["--timeout", "300ms"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("error: timed out after 0.3s waiting for pipeline run r1 (last seen: pipeline run r1: RUNNING)"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_run_request_error_exits_2() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        404,
        r#"{"error_code":"DEV.00000010","error_msg":"run not found"}"#,
    ));
    let out = run(wait_run_cmd(&server)).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("DEV.00000010: run not found (HTTP 404)"),
        "{}",
        out.stderr
    );
}

fn job_status(building: bool) -> Reply {
    Reply::json(200, &format!(r#"{{"result":{building}}}"#))
}

fn steps(statuses: &[&str]) -> Reply {
    let steps: Vec<String> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| format!(r#"{{"name":"step {i}","status":"{s}","build_time":1}}"#))
        .collect();
    Reply::json(
        200,
        &format!(
            r#"{{"job_name":"j","build_number":12,"build_steps":[{}]}}"#,
            steps.join(",")
        ),
    )
}

fn wait_build_cmd(server: &TestServer) -> assert_cmd::Command {
    let mut cmd = signed();
    cmd.args(["build", "wait-build", "--endpoint", &server.url()])
        .args([
            "--job-id",
            "job-1",
            "--build-no",
            "12",
            "--interval",
            "10ms",
        ]);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_build_success_and_failure() {
    let server = TestServer::start().await;
    server.reply(job_status(true));
    server.reply(steps(&["success", "running"]));
    server.reply(job_status(false));
    server.reply(steps(&["success", "success"]));
    let out = run(wait_build_cmd(&server)).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("build job-1 #12: building, 1/2 steps ended, step 1 running"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("build job-1 #12: succeeded, 2/2 steps ended"),
        "{}",
        out.stderr
    );
    let requests = server.requests();
    assert_eq!(requests[0].path, "/v3/jobs/job-1/status");
    assert_eq!(requests[1].path, "/v3/jobs/job-1/12/history-details");

    let server = TestServer::start().await;
    server.reply(job_status(false));
    server.reply(steps(&["success", "failed"]));
    let out = run(wait_build_cmd(&server)).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("failed"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_build_timeout_exits_3() {
    let server = TestServer::start().await;
    for _ in 0..100 {
        server.reply(job_status(true));
        server.reply(steps(&["running"]));
    }
    let mut cmd = wait_build_cmd(&server);
    cmd.args(["--timeout", "300ms"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("timed out after 0.3s waiting for build job-1 #12"),
        "{}",
        out.stderr
    );
}
