//! `codearts raw`.

use codearts_testkit::{Reply, TestServer, TEST_AK};

use crate::common::{run, signed};

#[tokio::test(flavor = "multi_thread")]
async fn raw_get_is_signed_and_pretty_printed() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"b":1,"a":[true]}"#).header("X-Request-Id", "r-1"));
    let mut cmd = signed();
    cmd.args(["raw", "get", "/v1/job/permission?project_id=p%201"])
        .args(["--query", "job_id=j/1", "--header", "X-Trace: on"])
        .args(["--service", "build", "--endpoint", &server.url()]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}\n");
    assert_eq!(out.stderr, "HTTP 200 OK (request id r-1)\n");
    let seen = server.single_request();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/v1/job/permission");
    assert_eq!(seen.raw_query, "job_id=j%2F1&project_id=p%201");
    assert_eq!(seen.header("x-trace"), Some("on"));
    seen.assert_signed_by(TEST_AK);
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_post_with_a_body_and_an_error_status() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        400,
        r#"{"error_code":"DEV.00000002","error_msg":"bad"}"#,
    ));
    let mut cmd = signed();
    cmd.args(["raw", "POST", "/v5/p/api/pipelines/list"])
        .args(["--body", r#"{"limit":1}"#, "--endpoint", &server.url()])
        .args(["-o", "yaml"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stderr, "HTTP 400 Bad Request\n");
    assert_eq!(out.stdout, "error_code: DEV.00000002\nerror_msg: bad\n");
    let seen = server.single_request();
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.body, br#"{"limit":1}"#);
    seen.assert_signed_by(TEST_AK);
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_prints_non_json_bodies_as_they_are() {
    let server = TestServer::start().await;
    server.reply(Reply::text(200, "plain text"));
    let mut cmd = signed();
    cmd.args(["raw", "GET", "/health", "--endpoint", &server.url()]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "plain text");
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_iam_with_a_token() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        200,
        r#"{"projects":[{"id":"p1","name":"cn-north-4"}]}"#,
    ));
    let mut cmd = crate::common::bare();
    cmd.env("HUAWEICLOUD_SDK_TOKEN", "tok-123")
        .args(["raw", "GET", "/v3/auth/projects", "--service", "iam"])
        .args(["--iam-endpoint", &server.url(), "-o", "table"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "ID  NAME\np1  cn-north-4\n");
    assert_eq!(
        server.single_request().header("x-auth-token"),
        Some("tok-123")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_bad_input() {
    for (args, expected) in [
        (vec!["raw", "GET", "v1/no-slash"], "must start with `/`"),
        (vec!["raw", "G E T", "/x"], "is not an HTTP method"),
        (
            vec!["raw", "GET", "/x", "--query", "novalue"],
            "write KEY=VALUE",
        ),
        (
            vec!["raw", "GET", "/x", "--header", "nocolon"],
            "write NAME:VALUE",
        ),
    ] {
        let mut cmd = signed();
        cmd.args(&args).args(["--endpoint", "http://127.0.0.1:9"]);
        let out = run(cmd).await;
        assert_eq!(out.code, 2, "{args:?}");
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
    }
}
