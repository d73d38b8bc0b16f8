//! Issue 9 on the command line: redirects are errors, server text cannot drive the
//! terminal, no user-info is echoed, request bodies are capped, no input panics.

use std::process::Stdio;

use codearts_testkit::{Reply, TestServer};

use crate::common::{run, signed};

fn has_terminal_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirected_run_pipeline_is_an_error_not_an_empty_success() {
    let elsewhere = TestServer::start().await;
    elsewhere.reply(Reply::json(200, "{}"));
    let server = TestServer::start().await;
    server.reply(
        Reply::text(302, "")
            .header("Location", &format!("{}/v5/moved", elsewhere.url()))
            .header("X-Request-Id", "rid-302"),
    );
    let mut cmd = signed();
    cmd.args(["pipeline", "run-pipeline", "--endpoint", &server.url()])
        .args(["--project-id", "p1", "--pipeline-id", "pl", "--body", "{}"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    assert!(out.stderr.contains("HTTP 302"), "{}", out.stderr);
    assert!(out.stderr.contains("/v5/moved"), "{}", out.stderr);
    assert!(out.stderr.contains("rid-302"), "{}", out.stderr);
    assert!(elsewhere.requests().is_empty());
    assert_eq!(server.single_request().method, "POST");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_server_text_is_escaped_on_stderr_and_stdout() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        400,
        r#"{"error_code":"DEV.\u001b[31m1","error_msg":"\u001b]0;pwned\u0007 then \u001b[2J\u009b2J\u007f"}"#,
    ));
    let mut cmd = signed();
    cmd.args(["pipeline", "list-pipelines", "--endpoint", &server.url()])
        .args(["--project-id", "p1"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(!has_terminal_controls(&out.stderr), "{:?}", out.stderr);
    assert!(
        out.stderr
            .contains(r"\x1b]0;pwned\x07 then \x1b[2J\x9b2J\x7f"),
        "{}",
        out.stderr
    );

    // Answers: JSON, YAML and table output carry no raw control either.
    for format in ["json", "yaml", "table"] {
        let server = TestServer::start().await;
        server.reply(Reply::json(
            200,
            r#"{"pipelines":[{"name":"\u001b]0;pwned\u0007\u009b2J\u007f","\u001b[2Jkey":"x"}],"total":1}"#,
        ));
        let mut cmd = signed();
        cmd.args(["pipeline", "list-pipelines", "--endpoint", &server.url()])
            .args(["--project-id", "p1", "--output", format]);
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{format}: {out:?}");
        assert!(
            !has_terminal_controls(&out.stdout),
            "{format}: {:?}",
            out.stdout
        );
        assert!(out.stdout.contains("pwned"), "{format}: {}", out.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_statuses_are_escaped_in_wait_progress() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        200,
        r#"{"id":"r1","status":"\u001b]0;pwned\u0007RUNNING"}"#,
    ));
    server.reply(Reply::json(200, r#"{"id":"r1","status":"COMPLETED"}"#));
    let out = run(wait_run(&server, "10m")).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!has_terminal_controls(&out.stderr), "{:?}", out.stderr);
    assert!(out.stderr.contains(r"\x1b]0;pwned\x07"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_bytes_to_a_pipe_are_left_alone() {
    let server = TestServer::start().await;
    server.reply(Reply::bytes(
        200,
        "application/octet-stream",
        b"\x1b[2Jlog\x07".to_vec(),
    ));
    let mut cmd = signed();
    cmd.args(["raw", "GET", "/v1/log", "--endpoint", &server.url()]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "\x1b[2Jlog\x07");
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoints_with_user_info_are_refused_without_echoing_it() {
    for args in [
        vec!["pipeline", "list-pipelines", "--project-id", "p1"],
        vec!["raw", "GET", "/v1/x"],
        vec!["raw", "GET", "/v1/x", "--service", "iam"],
        vec!["demo"],
    ] {
        let mut cmd = signed();
        cmd.args(&args)
            .args(["--endpoint", "http://user:hunter2@127.0.0.1:9/"]);
        let out = run(cmd).await;
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(!out.all().contains("hunter2"), "{args:?}: {}", out.all());
        assert!(out.stderr.contains("user-info"), "{args:?}: {}", out.stderr);
    }
}

fn run_pipeline_with_body(server: &TestServer, body: &str) -> assert_cmd::Command {
    let mut cmd = signed();
    cmd.args(["pipeline", "run-pipeline", "--endpoint", &server.url()])
        .args(["--project-id", "p1", "--pipeline-id", "pl", "--body", body]);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn body_from_dev_zero_stops_at_the_limit() {
    let server = TestServer::start().await;
    let out = run(run_pipeline_with_body(&server, "@/dev/zero")).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("larger than the request body limit of 67108864 bytes"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("CODEARTS_MAX_BODY_BYTES"));
    assert!(server.requests().is_empty());

    let mut cmd = signed();
    cmd.env("CODEARTS_MAX_BODY_BYTES", "1024")
        .args([
            "pipeline",
            "upload-plugin-icon",
            "--endpoint",
            &server.url(),
        ])
        .args([
            "--domain-id",
            "d",
            "--plugin-name",
            "p",
            "--file",
            "/dev/zero",
        ]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("limit of 1024 bytes"), "{}", out.stderr);

    let mut cmd = run_pipeline_with_body(&server, "@/dev/zero");
    cmd.env("CODEARTS_MAX_BODY_BYTES", "lots");
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("CODEARTS_MAX_BODY_BYTES"),
        "{}",
        out.stderr
    );
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn body_from_an_endless_pipe_stops_at_the_limit() {
    let server = TestServer::start().await;
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        let mut yes = std::process::Command::new("yes")
            .stdout(Stdio::piped())
            .spawn()
            .expect("run yes");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_codearts"))
            .env_clear()
            .env("HUAWEICLOUD_SDK_AK", codearts_testkit::TEST_AK)
            .env("HUAWEICLOUD_SDK_SK", codearts_testkit::TEST_SK)
            .env("CODEARTS_MAX_BODY_BYTES", "1048576")
            .args(["pipeline", "run-pipeline", "--endpoint", &url])
            .args(["--project-id", "p1", "--pipeline-id", "pl", "--body", "-"])
            .stdin(yes.stdout.take().unwrap())
            .output()
            .expect("run codearts");
        let _ = yes.kill();
        let _ = yes.wait();
        out
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("limit of 1048576 bytes"), "{stderr}");
    assert!(server.requests().is_empty());
}

fn wait_run(server: &TestServer, timeout: &str) -> assert_cmd::Command {
    let mut cmd = signed();
    cmd.args(["--timeout", timeout])
        .args(["pipeline", "wait-run", "--endpoint", &server.url()])
        .args(["--project-id", "p1", "--pipeline-id", "pl"])
        .args(["--pipeline-run-id", "r1", "--interval", "10ms"]);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_timeouts_do_not_panic() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"id":"r1","status":"RUNNING"}"#));
    server.reply(Reply::json(200, r#"{"id":"r1","status":"COMPLETED"}"#));
    let out = run(wait_run(&server, "9223372036854775807")).await;
    assert_eq!(out.code, 0, "{out:?}");

    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"result":false}"#));
    server.reply(Reply::json(
        200,
        r#"{"build_number":12,"build_steps":[{"name":"s","status":"success"}]}"#,
    ));
    let mut cmd = signed();
    cmd.args(["--timeout", "18446744073709551615"])
        .args(["build", "wait-build", "--endpoint", &server.url()])
        .args([
            "--job-id",
            "job-1",
            "--build-no",
            "12",
            "--interval",
            "10ms",
        ]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");

    for huge in ["9223372036854775807", "18446744073709551615h"] {
        let server = TestServer::start().await;
        server.reply(Reply::json(200, r#"{"pipelines":[],"total":0}"#));
        let mut cmd = signed();
        cmd.args(["--timeout", huge])
            .args(["pipeline", "list-pipelines", "--endpoint", &server.url()])
            .args(["--project-id", "p1"]);
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{huge}: {out:?}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_credentials_file_others_may_read_is_used_with_one_warning() {
    use std::os::unix::fs::PermissionsExt;

    let dir = crate::common::temp_dir("perm");
    let file = dir.join("credentials");
    std::fs::write(
        &file,
        format!(
            "[basic]\nak = {}\nsk = {}\n",
            codearts_testkit::TEST_AK,
            codearts_testkit::TEST_SK
        ),
    )
    .unwrap();
    for (mode, warned) in [(0o600, false), (0o640, true), (0o604, true)] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let server = TestServer::start().await;
        server.reply(Reply::json(200, r#"{"pipelines":[],"total":0}"#));
        let mut cmd = crate::common::bare();
        cmd.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &file)
            .args(["pipeline", "list-pipelines", "--endpoint", &server.url()])
            .args(["--project-id", "p1"]);
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{mode:o}: {out:?}");
        server
            .single_request()
            .assert_signed_by(codearts_testkit::TEST_AK);
        let warnings = out.stderr.matches("warning: ").count();
        assert_eq!(warnings, usize::from(warned), "{mode:o}: {}", out.stderr);
        if warned {
            assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
        }
    }
}
