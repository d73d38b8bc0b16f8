//! No secret (SK, password, security token, IAM token) appears in any log line at TRACE level,
//! in `Debug` output or in an error message, whatever auth path a call takes.

use std::io::Write;
use std::sync::{Arc, Mutex};

use codearts_pipeline::config::{AkSkCredentials, Credentials};
use codearts_pipeline::model::RejectManualReviewRequest;
use codearts_pipeline::PipelineClient;
use codearts_testkit::{Reply, TestServer};
use codearts_transport::RetryConfig;

const SK: &str = "SK-super-secret-0123456789";
const SECURITY_TOKEN: &str = "security-token-secret-abcdef";
const PASSWORD: &str = "password-secret-hunter2";
const IAM_TOKEN: &str = "MIIiam-token-secret-ZZZ";
const GIVEN_TOKEN: &str = "MIIgiven-token-secret-YYY";
const SECRETS: [&str; 5] = [SK, SECURITY_TOKEN, PASSWORD, IAM_TOKEN, GIVEN_TOKEN];

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request() -> RejectManualReviewRequest {
    RejectManualReviewRequest::new("p", "pl", "run", "job", "step")
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_in_logs_debug_or_errors() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut seen = String::new();

    // AK/SK with a security token: a success and a refusal.
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"success":true}"#));
    server.reply(Reply::json(401, r#"{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"}"#));
    let credentials = AkSkCredentials::new("AKVISIBLE", SK)
        .unwrap()
        .with_security_token(SECURITY_TOKEN);
    let builder = PipelineClient::builder()
        .endpoint(server.url())
        .credentials(Credentials::AkSk(credentials.clone()))
        .retry(RetryConfig::disabled());
    seen += &format!(
        "{builder:?}\n{credentials:?}\n{:?}\n",
        Credentials::AkSk(credentials.clone())
    );
    let client = builder.build().unwrap();
    seen += &format!("{client:?}\n");
    client.reject_manual_review(request()).await.unwrap();
    let err = client.reject_manual_review(request()).await.unwrap_err();
    seen += &format!("{err}\n{err:?}\n");
    assert_eq!(
        server.requests()[0].header("x-security-token"),
        Some(SECURITY_TOKEN),
        "the token is sent, only never printed"
    );

    // Password credentials: IAM issues a token, the call uses it, the token expires, IAM
    // issues another, and finally IAM refuses.
    let server = TestServer::start().await;
    server.reply(
        Reply::json(
            201,
            r#"{"token":{"expires_at":"2099-01-01T00:00:00.000000Z"}}"#,
        )
        .header("X-Subject-Token", IAM_TOKEN),
    );
    server.reply(Reply::json(
        401,
        r#"{"error_code":"APIG.0307","error_msg":"The token must be updated."}"#,
    ));
    server.reply(
        Reply::json(
            201,
            r#"{"token":{"expires_at":"2099-01-01T00:00:00.000000Z"}}"#,
        )
        .header("X-Subject-Token", IAM_TOKEN),
    );
    server.reply(Reply::json(200, r#"{"success":true}"#));
    let password = codearts_auth::PasswordCredentials::new(
        "user",
        PASSWORD,
        "domain",
        codearts_auth::TokenScope::ProjectName("cn-north-4".into()),
    )
    .unwrap();
    seen += &format!(
        "{password:?}\n{:?}\n",
        Credentials::Password(password.clone())
    );
    let client = PipelineClient::builder()
        .endpoint(server.url())
        .iam_endpoint(server.url())
        .credentials(Credentials::Password(password.clone()))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    client.reject_manual_review(request()).await.unwrap();
    seen += &format!("{client:?}\n");
    let iam_body = server.requests()[0].json().to_string();
    assert!(
        iam_body.contains(PASSWORD),
        "the password is sent to IAM, only never printed"
    );

    let server = TestServer::start().await;
    server.reply(Reply::json(401, r#"{"error":{"code":"401","message":"The username or password is wrong.","title":"Unauthorized"}}"#));
    let client = PipelineClient::builder()
        .endpoint(server.url())
        .iam_endpoint(server.url())
        .credentials(Credentials::Password(password))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = client.reject_manual_review(request()).await.unwrap_err();
    seen += &format!("{err}\n{err:?}\n");

    // A caller-supplied token.
    let server = TestServer::start().await;
    server.reply(Reply::json(
        403,
        r#"{"error_code":"DEV.403","error_msg":"denied"}"#,
    ));
    let given = Credentials::token(GIVEN_TOKEN).unwrap();
    seen += &format!("{given:?}\n");
    let client = PipelineClient::builder()
        .endpoint(server.url())
        .credentials(given)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = client.reject_manual_review(request()).await.unwrap_err();
    seen += &format!("{err}\n{err:?}\n");

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 0, "TRACE logging captured something");
    eprintln!("{} log lines checked", logs.lines().count());
    for secret in SECRETS {
        assert!(
            !logs.contains(secret),
            "a secret leaked into the logs:\n{logs}"
        );
        assert!(
            !seen.contains(secret),
            "a secret leaked into Debug or an error:\n{seen}"
        );
    }
    assert!(
        seen.contains("AKVISIBLE"),
        "the access key is not a secret and helps debugging"
    );
}
