//! The IAM token provider against a fake IAM.

mod common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use codearts_auth::{ManualClock, PasswordCredentials, TokenProvider, TokenScope};
use codearts_transport::{Endpoint, ErrorKind};
use common::{iam_ok, response, Fake};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

/// 2026-11-23T13:06:21Z, one hour before the tokens below expire.
const T0: u64 = 1_795_442_781 - 3600;
const EXPIRES: &str = "2026-11-23T14:06:21.000000Z";

fn credentials(scope: TokenScope) -> PasswordCredentials {
    PasswordCredentials::new("alice", "pa55-w0rd!", "acme", scope).unwrap()
}

fn provider(fake: Arc<Fake>, clock: Arc<ManualClock>) -> TokenProvider {
    TokenProvider::new(
        credentials(TokenScope::ProjectName("cn-north-4".into())),
        Endpoint::parse("https://iam.cn-north-4.myhuaweicloud.com").unwrap(),
        fake,
    )
    .with_clock(clock)
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0)))
}

#[tokio::test]
async fn sends_the_password_request_iam_expects() {
    let fake = Arc::new(Fake::new(|_, _| iam_ok("tok-1", EXPIRES)));
    let provider = provider(fake.clone(), clock());
    let token = provider.token().await.unwrap();
    assert_eq!(token.expose_secret(), "tok-1");

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri().to_string(),
        "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens"
    );
    assert_eq!(
        req.headers()["content-type"],
        "application/json;charset=utf-8"
    );
    assert!(req.headers().get("x-auth-token").is_none());
    assert!(req.headers().get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "alice", "password": "pa55-w0rd!", "domain": {"name": "acme"}}}},
            "scope": {"project": {"name": "cn-north-4"}}
        }})
    );
    assert_eq!(
        provider.expires_at().await,
        Some(UNIX_EPOCH + Duration::from_secs(1_795_442_781))
    );
}

#[tokio::test]
async fn every_scope_is_encoded() {
    let cases = [
        (
            TokenScope::ProjectId("p1".into()),
            serde_json::json!({"project": {"id": "p1"}}),
        ),
        (
            TokenScope::ProjectName("n1".into()),
            serde_json::json!({"project": {"name": "n1"}}),
        ),
        (
            TokenScope::DomainId("d1".into()),
            serde_json::json!({"domain": {"id": "d1"}}),
        ),
        (
            TokenScope::DomainName("dn".into()),
            serde_json::json!({"domain": {"name": "dn"}}),
        ),
    ];
    for (scope, expected) in cases {
        let fake = Arc::new(Fake::new(|_, _| iam_ok("t", EXPIRES)));
        let provider = TokenProvider::new(
            credentials(scope),
            Endpoint::parse("http://127.0.0.1:9/prefix").unwrap(),
            fake.clone(),
        );
        let body = serde_json::to_value(provider.request_body()).unwrap();
        assert_eq!(body["auth"]["scope"], expected);
    }
}

#[tokio::test]
async fn caches_the_token() {
    let fake = Arc::new(Fake::new(|n, _| iam_ok(&format!("tok-{n}"), EXPIRES)));
    let clock = clock();
    let provider = provider(fake.clone(), clock.clone());
    let a = provider.token().await.unwrap();
    clock.advance(Duration::from_secs(54 * 60)); // 6 minutes left: outside the window.
    let b = provider.token().await.unwrap();
    assert_eq!(fake.calls(), 1);
    assert_eq!(a.expose_secret(), "tok-0");
    assert_eq!(b.expose_secret(), "tok-0");
}

#[tokio::test]
async fn refreshes_inside_the_window() {
    let fake = Arc::new(Fake::new(|n, _| iam_ok(&format!("tok-{n}"), EXPIRES)));
    let clock = clock();
    let provider = provider(fake.clone(), clock.clone());
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(55 * 60 + 1)); // Just under 5 minutes left.
    let b = provider.token().await.unwrap();
    assert_eq!(fake.calls(), 2);
    assert_eq!(b.expose_secret(), "tok-1");
}

#[tokio::test]
async fn refresh_window_is_configurable() {
    let fake = Arc::new(Fake::new(|n, _| iam_ok(&format!("tok-{n}"), EXPIRES)));
    let clock = clock();
    let provider = provider(fake.clone(), clock.clone()).with_refresh_window(Duration::ZERO);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(3599));
    provider.token().await.unwrap();
    assert_eq!(fake.calls(), 1);
    clock.advance(Duration::from_secs(1));
    provider.token().await.unwrap();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn invalidate_forces_a_new_fetch() {
    let fake = Arc::new(Fake::new(|n, _| iam_ok(&format!("tok-{n}"), EXPIRES)));
    let provider = provider(fake.clone(), clock());
    provider.token().await.unwrap();
    provider.invalidate().await;
    assert_eq!(provider.expires_at().await, None);
    let t = provider.token().await.unwrap();
    assert_eq!(t.expose_secret(), "tok-1");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn fifty_concurrent_waiters_cause_one_fetch() {
    let gate = Arc::new(Notify::new());
    let fake = Arc::new(Fake::new(|n, _| iam_ok(&format!("tok-{n}"), EXPIRES)).gated(gate.clone()));
    let provider = Arc::new(provider(fake.clone(), clock()));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { p.token().await })
        })
        .collect();
    // Let every task run until it blocks: one inside the fetch, 49 waiting for it.
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
    assert_eq!(fake.calls(), 1, "one fetch in flight");
    gate.notify_one();
    for task in tasks {
        let token = task.await.unwrap().unwrap();
        assert_eq!(token.expose_secret(), "tok-0");
    }
    assert_eq!(fake.calls(), 1);
}

#[tokio::test]
async fn a_401_is_auth_with_iam_status_code_and_message() {
    let fake = Arc::new(Fake::new(|_, _| {
        response(
            401,
            &[
                ("Content-Type", "application/json"),
                ("X-Request-Id", "req-9"),
            ],
            r#"{"error":{"code":"401","message":"The username or password is wrong.","title":"Unauthorized"}}"#,
        )
    }));
    let err = provider(fake, clock()).token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert_eq!(err.http_status_code(), Some(401));
    assert_eq!(err.error_code(), Some("401"));
    assert_eq!(err.error_msg(), Some("The username or password is wrong."));
    assert_eq!(err.request_id(), Some("req-9"));
    assert!(!format!("{err} {err:?}").contains("pa55-w0rd!"));
}

#[tokio::test]
async fn other_refusals_are_credential_problems_too() {
    let fake = Arc::new(Fake::new(|_, _| {
        response(
            403,
            &[("Content-Type", "application/json")],
            r#"{"error":{"code":"1101","message":"user is locked"}}"#,
        )
    }));
    let err = provider(fake, clock()).token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert_eq!(err.http_status_code(), Some(403));
    let text = err.to_string();
    assert!(
        text.contains("1101") && text.contains("user is locked"),
        "{text}"
    );
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("user is locked"), "{source}");
}

#[tokio::test]
async fn failures_are_not_cached() {
    let fake = Arc::new(Fake::new(|n, _| {
        if n == 0 {
            response(500, &[], "oops")
        } else {
            iam_ok("tok", EXPIRES)
        }
    }));
    let provider = provider(fake.clone(), clock());
    assert_eq!(
        provider.token().await.unwrap_err().kind(),
        ErrorKind::Credentials
    );
    assert_eq!(provider.token().await.unwrap().expose_secret(), "tok");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn a_missing_subject_token_is_a_credentials_problem() {
    let fake = Arc::new(Fake::new(|_, _| {
        response(
            201,
            &[],
            &format!(r#"{{"token":{{"expires_at":"{EXPIRES}"}}}}"#),
        )
    }));
    let err = provider(fake, clock()).token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.message().contains("X-Subject-Token"), "{err}");
}

#[tokio::test]
async fn an_unreadable_expiry_is_a_credentials_problem() {
    for body in [
        r#"{"token":{"expires_at":"next tuesday"}}"#,
        r#"{"token":{}}"#,
        "not json",
    ] {
        let fake = Arc::new(Fake::new(move |_, _| {
            response(201, &[("X-Subject-Token", "tok")], body)
        }));
        let err = provider(fake, clock()).token().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Credentials, "{body}");
    }
}
