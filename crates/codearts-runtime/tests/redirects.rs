//! Credentials never follow a redirect to another origin, in every authentication mode, and
//! the IAM password exchange never follows one at all. Two loopback servers: the service and
//! a capturing second server.

// The auth crate's loopback test server, shared rather than copied.
#[path = "../../codearts-auth/tests/common/mod.rs"]
mod common;

use codearts_auth::{AkSkCredentials, Credentials, PasswordCredentials, TokenScope};
use codearts_runtime::{ClientBuilder, ServiceClient};
use codearts_transport::http::Method;
use codearts_transport::{ErrorKind, OperationRequest, Region, RetryConfig, ServiceHttp};
use common::server::{reply, Answer, Seen, Server};

const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];
const AK: &str = "AK-REDIRECT";
const SK: &str = "sk-very-secret";
const SECURITY_TOKEN: &str = "security-token-very-secret";
const TOKEN: &str = "static-token-very-secret";
const IAM_TOKEN: &str = "iam-token-very-secret";
const PASSWORD: &str = "password-very-secret";

struct Demo(ServiceHttp);

impl ServiceClient for Demo {
    const SERVICE: &'static str = "demo";
    const REGIONS: &'static [Region] = &[];
    fn from_http(http: ServiceHttp) -> Self {
        Demo(http)
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    AkSk,
    AkSkWithSecurityToken,
    StaticToken,
    IamPassword,
}

const MODES: [Mode; 4] = [
    Mode::AkSk,
    Mode::AkSkWithSecurityToken,
    Mode::StaticToken,
    Mode::IamPassword,
];

fn password() -> PasswordCredentials {
    PasswordCredentials::new("alice", PASSWORD, "acme", TokenScope::ProjectId("p".into())).unwrap()
}

fn iam_answer() -> Answer {
    reply(
        201,
        &[
            ("x-subject-token", IAM_TOKEN),
            ("content-type", "application/json"),
        ],
        r#"{"token":{"expires_at":"2099-01-01T00:00:00.000000Z","methods":["password"],"issued_at":"2026-11-22T14:06:21.000000Z"}}"#,
    )
}

/// A client of the service at `url` in `mode`; the IAM endpoint, when needed, is `iam`.
fn client(mode: Mode, url: &str, iam: &str) -> ServiceHttp {
    let credentials = match mode {
        Mode::AkSk => Credentials::AkSk(AkSkCredentials::new(AK, SK).unwrap()),
        Mode::AkSkWithSecurityToken => Credentials::AkSk(
            AkSkCredentials::new(AK, SK)
                .unwrap()
                .with_security_token(SECURITY_TOKEN),
        ),
        Mode::StaticToken => Credentials::token(TOKEN).unwrap(),
        Mode::IamPassword => Credentials::Password(password()),
    };
    ClientBuilder::<Demo>::new()
        .endpoint(url)
        .iam_endpoint(iam)
        .credentials(credentials)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
        .0
}

/// Fails if anything secret reached `seen`.
fn assert_nothing_secret(seen: &Seen) {
    for name in [
        "authorization",
        "x-auth-token",
        "x-security-token",
        "cookie",
        "proxy-authorization",
    ] {
        assert_eq!(seen.header(name), None, "{name} reached {}", seen.target);
    }
    assert!(
        !seen.headers.iter().any(|(k, _)| k.starts_with("x-sdk-")),
        "{:?}",
        seen.headers
    );
    let everything = seen.everything();
    for secret in [AK, SK, SECURITY_TOKEN, TOKEN, IAM_TOKEN, PASSWORD] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }
}

/// Fails unless `seen` carries the credentials of `mode`.
fn assert_authenticated(mode: Mode, seen: &Seen) {
    match mode {
        Mode::AkSk | Mode::AkSkWithSecurityToken => {
            let auth = seen.header("authorization").unwrap_or_default();
            assert!(auth.contains(AK), "{:?}", seen.headers);
            assert!(seen.header("x-sdk-date").is_some());
            if let Mode::AkSkWithSecurityToken = mode {
                assert_eq!(seen.header("x-security-token"), Some(SECURITY_TOKEN));
            }
        }
        Mode::StaticToken => assert_eq!(seen.header("x-auth-token"), Some(TOKEN)),
        Mode::IamPassword => assert_eq!(seen.header("x-auth-token"), Some(IAM_TOKEN)),
    }
}

/// The service: `/v1/iam/v3/auth/tokens` answers as IAM, `/v1/file` redirects with
/// `status` to `location`, anything else answers 200.
async fn service(status: u16, location: String) -> Server {
    Server::start(move |seen| {
        if seen.target.ends_with("/v3/auth/tokens") {
            iam_answer()
        } else if seen.target.starts_with("/v1/file") || seen.target.starts_with("/v1/run") {
            reply(status, &[("location", &location)], "")
        } else {
            reply(200, &[], "payload")
        }
    })
    .await
}

#[tokio::test]
async fn api_calls_are_never_redirected_anywhere() {
    let capture = Server::start(|_| reply(200, &[], "{}")).await;
    for mode in MODES {
        for status in STATUSES {
            let server = service(status, format!("{}/v1/stolen", capture.url)).await;
            let http = client(mode, &server.url, &format!("{}/v1/iam", server.url));
            for method in [Method::GET, Method::POST] {
                let op = OperationRequest::new(method.clone(), "/v1/run")
                    .json(&serde_json::json!({"x": 1}))
                    .unwrap();
                let err = http.execute(op).await.unwrap_err();
                assert_eq!(
                    err.kind(),
                    ErrorKind::Redirect,
                    "{mode:?} {status} {method}"
                );
                assert!(err.to_string().contains("/v1/stolen"), "{err}");
            }
        }
    }
    assert!(capture.seen().is_empty(), "{:?}", capture.seen());
}

#[tokio::test]
async fn downloads_redirected_to_another_host_carry_no_secret() {
    for mode in MODES {
        for status in STATUSES {
            let capture = Server::start(|_| reply(200, &[], "blob")).await;
            let server = service(status, format!("{}/bucket/key", capture.url)).await;
            let http = client(mode, &server.url, &format!("{}/v1/iam", server.url));
            let op = OperationRequest::new(Method::GET, "/v1/file");
            let response = http.execute_streaming(op).await.unwrap();
            assert_eq!(&response.body.collect(64).await.unwrap()[..], b"blob");
            let api: Vec<Seen> = server
                .seen()
                .into_iter()
                .filter(|s| s.target.starts_with("/v1/file"))
                .collect();
            assert_eq!(api.len(), 1);
            assert_authenticated(mode, &api[0]);
            let stolen = capture.seen();
            assert_eq!(stolen.len(), 1, "{mode:?} {status}");
            assert_eq!(stolen[0].target, "/bucket/key");
            assert_nothing_secret(&stolen[0]);
        }
    }
}

#[tokio::test]
async fn downloads_redirected_on_the_same_host_are_authenticated_afresh() {
    for mode in MODES {
        for status in STATUSES {
            let server = service(status, "/v1/blob".to_owned()).await;
            let http = client(mode, &server.url, &format!("{}/v1/iam", server.url));
            let op = OperationRequest::new(Method::GET, "/v1/file");
            let response = http.execute_streaming(op).await.unwrap();
            assert_eq!(&response.body.collect(64).await.unwrap()[..], b"payload");
            let seen: Vec<Seen> = server
                .seen()
                .into_iter()
                .filter(|s| !s.target.ends_with("/v3/auth/tokens"))
                .collect();
            assert_eq!(seen.len(), 2, "{mode:?} {status}");
            assert_eq!(seen[1].target, "/v1/blob");
            assert_authenticated(mode, &seen[0]);
            assert_authenticated(mode, &seen[1]);
            if matches!(mode, Mode::AkSk | Mode::AkSkWithSecurityToken) {
                // Signed for its own path, not a copy of the first signature.
                assert_ne!(
                    seen[0].header("authorization"),
                    seen[1].header("authorization")
                );
            }
        }
    }
}

#[tokio::test]
async fn the_iam_password_exchange_never_follows_a_redirect() {
    for status in STATUSES {
        for elsewhere in [true, false] {
            let capture = Server::start(|_| iam_answer()).await;
            let iam = Server::start({
                let target = capture.url.clone();
                move |seen| {
                    if seen.target.starts_with("/moved") {
                        iam_answer()
                    } else if elsewhere {
                        reply(
                            status,
                            &[("location", &format!("{target}/v3/auth/tokens"))],
                            "",
                        )
                    } else {
                        reply(status, &[("location", "/moved/v3/auth/tokens")], "")
                    }
                }
            })
            .await;
            let api = Server::start(|_| reply(200, &[], "{}")).await;
            let http = client(Mode::IamPassword, &api.url, &iam.url);
            let err = http
                .execute(OperationRequest::new(Method::GET, "/v1/x"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Redirect, "{status} {elsewhere}");
            assert!(err.to_string().contains("IAM"), "{err}");
            assert!(!err.to_string().contains(PASSWORD));
            assert!(capture.seen().is_empty(), "{status}");
            let asked = iam.seen();
            assert_eq!(asked.len(), 1, "{status} {elsewhere}: followed");
            assert!(api.seen().is_empty());
        }
    }
}
