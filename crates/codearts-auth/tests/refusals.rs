//! A 401 for an expired token or a skewed clock is repaired once, never in a loop.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use codearts_auth::signer::parse_sdk_date;
use codearts_auth::{
    AkSkCredentials, AuthLayer, Credentials, ManualClock, PasswordCredentials, TokenScope,
};
use codearts_transport::{Bytes, Endpoint, HttpClient, Request};
use common::{iam_ok, response, Fake};
use secrecy::SecretString;

const T0: u64 = 1_800_000_000;

fn request() -> Request {
    http::Request::post(
        "https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com/v5/p/api/pipelines/x/run",
    )
    .header("Content-Type", "application/json")
    .body(Bytes::from_static(b"{}"))
    .unwrap()
}

fn password_layer(fake: Arc<Fake>) -> AuthLayer {
    let creds =
        PasswordCredentials::new("u", "p", "d", TokenScope::ProjectName("cn-north-4".into()))
            .unwrap();
    AuthLayer::from_credentials(
        Credentials::Password(creds),
        fake,
        Some(Endpoint::parse("https://iam.example.com").unwrap()),
    )
    .unwrap()
}

const EXPIRED: &str = r#"{"error_code":"APIG.0307","error_msg":"The token must be updated."}"#;

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_repeated() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let issued = tokens.clone();
    let fake = Arc::new(Fake::new(move |_, req| {
        if req.uri().path() == "/v3/auth/tokens" {
            let n = issued.fetch_add(1, Ordering::SeqCst);
            iam_ok(&format!("token-{n}"), "2099-01-01T00:00:00.000000Z")
        } else if req.headers()["x-auth-token"] == "token-0" {
            response(401, &[], EXPIRED)
        } else {
            response(200, &[], r#"{"pipeline_run_id":"r1"}"#)
        }
    }));
    let layer = password_layer(fake.clone());
    let answer = layer.send(request()).await.unwrap();
    assert_eq!(answer.status(), 200);
    let paths: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.uri().path(),
                r.headers()
                    .get("x-auth-token")
                    .map_or("-", |v| v.to_str().unwrap())
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            "/v3/auth/tokens -",
            "/v5/p/api/pipelines/x/run token-0",
            "/v3/auth/tokens -",
            "/v5/p/api/pipelines/x/run token-1"
        ]
    );
}

#[tokio::test]
async fn a_token_refused_twice_is_reported_not_looped() {
    let fake = Arc::new(Fake::new(|_, req| {
        if req.uri().path() == "/v3/auth/tokens" {
            iam_ok("always-stale", "2099-01-01T00:00:00.000000Z")
        } else {
            response(401, &[("X-Request-Id", "rid-401")], EXPIRED)
        }
    }));
    let layer = password_layer(fake.clone());
    let answer = layer.send(request()).await.unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(fake.calls(), 4, "token, call, token, call: and no more");
}

#[tokio::test]
async fn other_401s_are_passed_on_untouched() {
    let fake = Arc::new(Fake::new(|_, req| {
        if req.uri().path() == "/v3/auth/tokens" {
            iam_ok("t", "2099-01-01T00:00:00.000000Z")
        } else {
            response(
                401,
                &[],
                r#"{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information: no permission"}"#,
            )
        }
    }));
    let layer = password_layer(fake.clone());
    let answer = layer.send(request()).await.unwrap();
    assert_eq!(answer.status(), 401);
    let body = answer.into_body().collect(1 << 20).await.unwrap();
    assert!(
        String::from_utf8_lossy(&body).contains("no permission"),
        "the body survives inspection"
    );
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn a_static_token_is_never_refreshed() {
    let fake = Arc::new(Fake::new(|_, _| response(401, &[], EXPIRED)));
    let layer = AuthLayer::static_token(SecretString::from("given"), fake.clone());
    assert_eq!(layer.send(request()).await.unwrap().status(), 401);
    assert_eq!(fake.calls(), 1);
}

#[tokio::test]
async fn a_skewed_clock_is_corrected_from_the_date_header() {
    // Our clock is 40 minutes slow; the server refuses dates more than 15 minutes off.
    let server_now = UNIX_EPOCH + Duration::from_secs(T0);
    let server_date = httpdate::fmt_http_date(server_now);
    let date_header = server_date.clone();
    let fake = Arc::new(Fake::new(move |_, req| {
        let sent = parse_sdk_date(req.headers()["x-sdk-date"].to_str().unwrap()).unwrap();
        let skew = server_now
            .duration_since(sent)
            .unwrap_or_else(|e| e.duration());
        if skew > Duration::from_secs(15 * 60) {
            response(
                401,
                &[("Date", date_header.as_str())],
                r#"{"error_code":"APIG.0303","error_msg":"Incorrect app authentication information: signature expired, signature time:x,server time:y"}"#,
            )
        } else {
            response(200, &[], "{}")
        }
    }));
    let clock = Arc::new(ManualClock::new(
        UNIX_EPOCH + Duration::from_secs(T0 - 40 * 60),
    ));
    let layer = AuthLayer::signing(AkSkCredentials::new("AK", "SK").unwrap(), fake.clone())
        .with_clock(clock);
    assert_eq!(layer.send(request()).await.unwrap().status(), 200);
    assert_eq!(fake.calls(), 2);
    assert_eq!(layer.clock_offset(), 40 * 60);
    // Later calls are signed with the corrected clock at once.
    assert_eq!(layer.send(request()).await.unwrap().status(), 200);
    assert_eq!(fake.calls(), 3);
}

#[tokio::test]
async fn a_signature_refusal_without_a_date_is_passed_on() {
    let fake = Arc::new(Fake::new(|_, _| {
        response(
            401,
            &[],
            r#"{"error_code":"APIG.0303","error_msg":"signature expired"}"#,
        )
    }));
    let layer = AuthLayer::signing(AkSkCredentials::new("AK", "SK").unwrap(), fake.clone());
    assert_eq!(layer.send(request()).await.unwrap().status(), 401);
    assert_eq!(fake.calls(), 1);
    assert_eq!(layer.clock_offset(), 0);
}

/// A 401 the layer read and did not repair goes up with its parsed body, so the error built
/// from it does not parse the body again.
#[tokio::test]
async fn an_unrepaired_refusal_goes_up_with_its_parsed_body() {
    let fake = Arc::new(Fake::new(|_, _| {
        response(
            401,
            &[],
            r#"{"error_code":"APIG.0301","error_msg":"incorrect IAM authentication information"}"#,
        )
    }));
    let layer = AuthLayer::signing(AkSkCredentials::new("AK", "SK").unwrap(), fake.clone());
    let answer = layer.send(request()).await.unwrap();
    assert_eq!(answer.status(), 401);
    let parsed = answer
        .extensions()
        .get::<codearts_transport::error_body::ParsedErrorBody>()
        .expect("the parsed refusal travels up");
    assert_eq!(
        parsed.0.as_ref().and_then(|b| b.code.as_deref()),
        Some("APIG.0301")
    );
    assert_eq!(fake.calls(), 1, "not repaired, not repeated");
}
