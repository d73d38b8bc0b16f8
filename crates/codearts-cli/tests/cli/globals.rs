//! Every global option.

use codearts_testkit::{Reply, TestServer, TEST_AK};

use crate::common::{bare, run, signed, temp_dir};

fn permission_args(cmd: &mut assert_cmd::Command) {
    cmd.args(["build", "show-project-job-permission"]).args([
        "--project-id",
        "p1",
        "--job-id",
        "j1",
    ]);
}

const PERMISSION: &str = r#"{"result":{"job_id":"j1","is_view":true},"status":"success"}"#;

pub fn token_reply() -> Reply {
    Reply::json(
        201,
        r#"{"token":{"expires_at":"2099-01-01T00:00:00.000000Z","methods":["password"]}}"#,
    )
    .header("X-Subject-Token", "MIIT-issued-token-value")
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_region_is_a_clear_error() {
    let mut cmd = signed();
    permission_args(&mut cmd);
    cmd.args(["--region", "mars-1"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown region `mars-1`") && out.stderr.contains("cn-north-4"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn endpoint_overrides_the_region() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, PERMISSION));
    let mut cmd = signed();
    permission_args(&mut cmd);
    cmd.args(["--region", "cn-north-4", "--endpoint", &server.url()]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(server.single_request().path, "/v1/job/permission");
}

#[tokio::test(flavor = "multi_thread")]
async fn global_options_may_come_before_the_command() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, PERMISSION));
    let mut cmd = signed();
    cmd.args(["--endpoint", &server.url(), "-o", "yaml"]);
    permission_args(&mut cmd);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "result:\n  job_id: j1\n  is_view: true\nstatus: success\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_endpoint_and_password_credentials_get_a_token() {
    let server = TestServer::start().await;
    server.reply(token_reply());
    server.reply(Reply::json(200, PERMISSION));
    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_USER_NAME", "alice")
        .env("HUAWEICLOUD_SDK_PASSWORD", "pa55-word")
        .env("HUAWEICLOUD_SDK_DOMAIN_NAME", "acme")
        .env("HUAWEICLOUD_SDK_PROJECT_ID", "p1");
    permission_args(&mut cmd);
    cmd.args(["--endpoint", &server.url(), "--iam-endpoint", &server.url()]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v3/auth/tokens");
    let body = requests[0].json();
    assert_eq!(
        body["auth"]["identity"]["password"]["user"]["name"],
        "alice"
    );
    assert_eq!(body["auth"]["scope"]["project"]["id"], "p1");
    assert_eq!(
        requests[1].header("x-auth-token"),
        Some("MIIT-issued-token-value")
    );
    assert_eq!(requests[1].header("authorization"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_token_prefers_the_token_over_aksk() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, PERMISSION));
    let mut cmd = signed();
    cmd.env("HUAWEICLOUD_SDK_TOKEN", "given-token");
    permission_args(&mut cmd);
    cmd.args(["--endpoint", &server.url(), "--auth", "token"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let seen = server.single_request();
    assert_eq!(seen.header("x-auth-token"), Some("given-token"));
    assert_eq!(seen.header("authorization"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_aksk_signs_even_with_a_token_around() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, PERMISSION));
    let mut cmd = signed();
    cmd.env("HUAWEICLOUD_SDK_TOKEN", "given-token");
    permission_args(&mut cmd);
    cmd.args(["--endpoint", &server.url(), "--auth", "aksk"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let seen = server.single_request();
    seen.assert_signed_by(TEST_AK);
    assert_eq!(seen.header("x-auth-token"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_modes_without_matching_credentials_explain() {
    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_TOKEN", "given-token");
    permission_args(&mut cmd);
    cmd.args(["--endpoint", "http://127.0.0.1:9", "--auth", "aksk"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--auth aksk"), "{}", out.stderr);

    let mut cmd = signed();
    permission_args(&mut cmd);
    cmd.args(["--endpoint", "http://127.0.0.1:9", "--auth", "token"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--auth token") && out.stderr.contains("HUAWEICLOUD_SDK_TOKEN"),
        "{}",
        out.stderr
    );

    let mut cmd = bare();
    permission_args(&mut cmd);
    cmd.args(["--endpoint", "http://127.0.0.1:9"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no credentials found"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_selects_a_section_of_the_credentials_file() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, PERMISSION));
    let dir = temp_dir("profile");
    let file = dir.join("credentials");
    std::fs::write(
        &file,
        format!("[basic]\nak = OTHERAK\nsk = other\n\n[ci]\nak = {TEST_AK}\nsk = TESTSK\nproject_id = p-ci\n"),
    )
    .unwrap();
    let mut cmd = bare();
    // The environment's AK/SK are ignored when a profile is named.
    cmd.env("HUAWEICLOUD_SDK_AK", "ENVAK")
        .env("HUAWEICLOUD_SDK_SK", "envsk")
        .env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &file);
    permission_args(&mut cmd);
    cmd.args(["--endpoint", &server.url(), "--profile", "ci"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let seen = server.single_request();
    seen.assert_signed_by(TEST_AK);
    assert_eq!(seen.header("x-project-id"), Some("p-ci"));

    let mut cmd = bare();
    cmd.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &file);
    permission_args(&mut cmd);
    cmd.args(["--endpoint", &server.url(), "--profile", "nope"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("[nope]"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn output_table_lists_the_first_array_of_objects() {
    let server = TestServer::start().await;
    server.reply(Reply::json(
        200,
        r#"{"total":2,"pipelines":[{"pipeline_id":"a1","name":"build","latest_run":{"status":"COMPLETED"}},{"pipeline_id":"b2","name":"deploy","is_collect":true}]}"#,
    ));
    let mut cmd = signed();
    cmd.args(["pipeline", "list-pipelines", "--project-id", "p1"])
        .args(["--endpoint", &server.url(), "--output", "table"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "PIPELINE_ID  NAME    IS_COLLECT\na1           build\nb2           deploy  true\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn output_rejects_unknown_formats() {
    let mut cmd = signed();
    permission_args(&mut cmd);
    cmd.args(["--output", "xml"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("possible values: json, yaml, table"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_ends_a_request_that_hangs_with_exit_3() {
    // A listener that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut cmd = signed();
    permission_args(&mut cmd);
    cmd.args(["--endpoint", &url, "--timeout", "500ms"]);
    let started = std::time::Instant::now();
    let out = run(cmd).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("timed out after 0.5s"),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(listener);
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_shows_requests_but_no_headers() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, PERMISSION).header("X-Request-Id", "rid-7"));
    let mut cmd = signed();
    permission_args(&mut cmd);
    cmd.args(["--endpoint", &server.url(), "--debug"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0, "{out:?}");
    let expected = format!(
        "debug: > GET {}/v1/job/permission?job_id=j1&project_id=p1 (0 body bytes)",
        server.url()
    );
    assert!(out.stderr.contains(&expected), "{}", out.stderr);
    assert!(out.stderr.contains("debug: < 200 in "), "{}", out.stderr);
    assert!(out.stderr.contains("request id rid-7"), "{}", out.stderr);
    assert!(!out.stderr.contains("SDK-HMAC-SHA256"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let mut cmd = bare();
        cmd.args(["completions", shell]);
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(out.stdout.contains("reject-manual-review"), "{shell}");
    }
}
