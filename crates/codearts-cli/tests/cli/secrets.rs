//! No secret in any output: secrets in the environment, every kind of command, and both
//! streams searched.

use codearts_testkit::{Reply, TestServer};

use crate::common::{bare, run, Run};
use crate::globals::token_reply;

const SK: &str = "SECRET-SK-9f8e7d6c5b4a";
const SECURITY_TOKEN: &str = "SECRET-SECURITY-TOKEN-1a2b3c";
const PASSWORD: &str = "SECRET-PASSWORD-q1w2e3";
const TOKEN: &str = "SECRET-GIVEN-TOKEN-z9y8x7";
const ISSUED: &str = "MIIT-issued-token-value";

fn assert_clean(out: &Run, what: &str) {
    let all = out.all();
    for secret in [SK, SECURITY_TOKEN, PASSWORD, TOKEN, ISSUED] {
        assert!(
            !all.contains(secret),
            "{what}: `{secret}` was printed:\n{all}"
        );
    }
}

fn with_all_secrets(kind: &str) -> assert_cmd::Command {
    let mut cmd = bare();
    match kind {
        "aksk" => {
            cmd.env("HUAWEICLOUD_SDK_AK", "TESTAK")
                .env("HUAWEICLOUD_SDK_SK", SK)
                .env("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN);
        }
        "password" => {
            cmd.env("HUAWEICLOUD_SDK_USER_NAME", "alice")
                .env("HUAWEICLOUD_SDK_PASSWORD", PASSWORD)
                .env("HUAWEICLOUD_SDK_DOMAIN_NAME", "acme");
        }
        _ => {
            cmd.env("HUAWEICLOUD_SDK_TOKEN", TOKEN);
        }
    }
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_is_ever_printed() {
    for kind in ["aksk", "password", "token"] {
        // A success with --debug.
        let server = TestServer::start().await;
        if kind == "password" {
            server.reply(token_reply());
        }
        server.reply(Reply::json(200, r#"{"success":true}"#));
        let mut cmd = with_all_secrets(kind);
        cmd.args(["pipeline", "reject-manual-review", "--debug"])
            .args(["--endpoint", &server.url(), "--iam-endpoint", &server.url()])
            .args([
                "--project-id",
                "p",
                "--pipeline-id",
                "q",
                "--pipeline-run-id",
                "r",
            ])
            .args(["--job-run-id", "j", "--step-run-id", "s"]);
        let out = run(cmd).await;
        assert_eq!(out.code, 0, "{kind}: {out:?}");
        assert!(out.stderr.contains("debug: >"), "{kind}");
        assert_clean(&out, &format!("{kind} success"));

        // A refusal, an auth failure and a raw request with --debug.
        let server = TestServer::start().await;
        if kind == "password" {
            server.reply(token_reply());
        }
        server.reply(Reply::json(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}"#,
        ));
        server.reply(Reply::json(
            403,
            r#"{"error_code":"DEV.00000004","error_msg":"no permission"}"#,
        ));
        for args in [
            vec![
                "build",
                "show-project-job-permission",
                "--project-id",
                "p",
                "--job-id",
                "j",
            ],
            vec!["raw", "GET", "/v1/job/permission", "--service", "build"],
        ] {
            let mut cmd = with_all_secrets(kind);
            cmd.args(&args).args([
                "--debug",
                "--endpoint",
                &server.url(),
                "--iam-endpoint",
                &server.url(),
            ]);
            let out = run(cmd).await;
            assert_eq!(out.code, 2, "{kind} {args:?}: {out:?}");
            assert_clean(&out, &format!("{kind} {args:?}"));
        }

        // IAM refusing the password, and a connection failure.
        let server = TestServer::start().await;
        server.reply(Reply::json(
            401,
            r#"{"error":{"code":401,"message":"The username or password is wrong."}}"#,
        ));
        let mut cmd = with_all_secrets(kind);
        cmd.args([
            "build",
            "show-project-job-permission",
            "--project-id",
            "p",
            "--job-id",
            "j",
        ])
        .args([
            "--debug",
            "--endpoint",
            "http://127.0.0.1:9",
            "--iam-endpoint",
            &server.url(),
        ]);
        let out = run(cmd).await;
        assert_eq!(out.code, 2, "{kind}: {out:?}");
        assert_clean(&out, &format!("{kind} refused"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn help_and_configuration_errors_print_no_secret() {
    let mut cmd = with_all_secrets("aksk");
    cmd.args([
        "build",
        "show-project-job-permission",
        "--project-id",
        "p",
        "--job-id",
        "j",
    ])
    .args(["--region", "mars-1"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2);
    assert_clean(&out, "unknown region");
    let mut cmd = with_all_secrets("password");
    cmd.args(["--help"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 0);
    assert_clean(&out, "help");
}
