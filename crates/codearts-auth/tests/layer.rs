//! The auth layer signs or adds tokens on the way out.

mod common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use codearts_auth::{
    sign, AkSkCredentials, AuthLayer, Credentials, ManualClock, PasswordCredentials,
    SigningRequest, TokenScope,
};
use codearts_transport::{Bytes, Endpoint, ErrorKind, HttpClient, Request};
use common::{iam_ok, response, Fake};
use secrecy::SecretString;

const T0: u64 = 1_732_341_981; // 20241123T060621Z

fn request() -> Request {
    http::Request::post(
        "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com/v1/job/permission?project_id=p&job_id=j",
    )
    .header("Content-Type", "application/json")
    .body(Bytes::from_static(b"{\"a\":1}"))
    .unwrap()
}

fn ok_fake() -> Arc<Fake> {
    Arc::new(Fake::new(|_, _| response(200, &[], "{}")))
}

#[tokio::test]
async fn aksk_requests_carry_the_signature_sign_computes() {
    let fake = ok_fake();
    let clock = Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0)));
    let creds = AkSkCredentials::new("AK1", "SK1")
        .unwrap()
        .with_security_token("sts-token")
        .with_project_id("proj");
    let layer = AuthLayer::signing(creds.clone(), fake.clone()).with_clock(clock.clone());
    layer.send(request()).await.unwrap();

    let sent = fake.requests().remove(0);
    assert_eq!(sent.headers()["x-sdk-date"], "20241123T060621Z");
    assert_eq!(sent.headers()["x-project-id"], "proj");
    assert_eq!(sent.headers()["x-security-token"], "sts-token");
    assert!(sent.headers()["x-security-token"].is_sensitive());
    assert!(sent.headers()["authorization"].is_sensitive());
    let expected = sign(
        &SigningRequest::from_request(&request()),
        &creds,
        UNIX_EPOCH + Duration::from_secs(T0),
    )
    .unwrap();
    assert_eq!(
        sent.headers()["authorization"],
        expected.authorization().unwrap()
    );
    assert!(sent.headers()["authorization"]
        .to_str()
        .unwrap()
        .starts_with("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature="));
    // The body and URL are untouched.
    assert_eq!(sent.body(), request().body());
    assert_eq!(sent.uri(), request().uri());
}

#[tokio::test]
async fn every_send_gets_a_fresh_date_and_the_offset_applies() {
    let fake = ok_fake();
    let clock = Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0)));
    let layer = AuthLayer::signing(AkSkCredentials::new("AK", "SK").unwrap(), fake.clone())
        .with_clock(clock.clone());
    layer.send(request()).await.unwrap();
    clock.advance(Duration::from_secs(61));
    // Re-sending an already signed request signs it again.
    let again = fake.requests().remove(0);
    layer.send(again).await.unwrap();
    layer.set_clock_offset(-3600);
    assert_eq!(layer.clock_offset(), -3600);
    layer.send(request()).await.unwrap();

    let dates: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.headers()["x-sdk-date"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        dates,
        ["20241123T060621Z", "20241123T060722Z", "20241123T050722Z"]
    );
    let auths: Vec<_> = fake
        .requests()
        .iter()
        .map(|r| r.headers().get_all("authorization").iter().count())
        .collect();
    assert_eq!(auths, [1, 1, 1]);
}

#[tokio::test]
async fn static_token_mode_sets_x_auth_token() {
    let fake = ok_fake();
    let layer = AuthLayer::static_token(SecretString::from("MIIstatic"), fake.clone());
    layer.send(request()).await.unwrap();
    let sent = fake.requests().remove(0);
    assert_eq!(sent.headers()["x-auth-token"], "MIIstatic");
    assert!(sent.headers()["x-auth-token"].is_sensitive());
    assert!(sent.headers().get("authorization").is_none());
    assert!(sent.headers().get("x-sdk-date").is_none());
}

#[tokio::test]
async fn password_mode_fetches_once_and_sets_x_auth_token() {
    let fake = Arc::new(Fake::new(|_, req| {
        if req.uri().path() == "/v3/auth/tokens" {
            iam_ok("MIIfromiam", "2099-01-01T00:00:00.000000Z")
        } else {
            response(200, &[], "{}")
        }
    }));
    let creds =
        PasswordCredentials::new("u", "p", "d", TokenScope::ProjectId("pid".into())).unwrap();
    let layer = AuthLayer::from_credentials(
        Credentials::Password(creds),
        fake.clone(),
        Some(Endpoint::parse("https://iam.cn-north-4.myhuaweicloud.com").unwrap()),
    )
    .unwrap();
    assert!(layer.token_provider().is_some());
    layer.send(request()).await.unwrap();
    layer.send(request()).await.unwrap();
    let sent = fake.requests();
    let paths: Vec<&str> = sent.iter().map(|r| r.uri().path()).collect();
    assert_eq!(
        paths,
        [
            "/v3/auth/tokens",
            "/v1/job/permission",
            "/v1/job/permission"
        ]
    );
    assert!(sent[0].headers().get("x-auth-token").is_none());
    assert_eq!(sent[1].headers()["x-auth-token"], "MIIfromiam");
    assert_eq!(sent[2].headers()["x-auth-token"], "MIIfromiam");
}

#[tokio::test]
async fn a_token_failure_stops_the_request() {
    let fake = Arc::new(Fake::new(|_, _| {
        response(
            401,
            &[],
            r#"{"error":{"code":"401","message":"bad password"}}"#,
        )
    }));
    let creds =
        PasswordCredentials::new("u", "p", "d", TokenScope::DomainName("d".into())).unwrap();
    let layer = AuthLayer::from_credentials(
        creds.into(),
        fake.clone(),
        Some(Endpoint::parse("https://iam.example.com").unwrap()),
    )
    .unwrap();
    let err = layer.send(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert_eq!(fake.calls(), 1, "only IAM was asked");
}

#[test]
fn from_credentials_picks_the_mode() {
    let inner = ok_fake();
    let aksk = AuthLayer::from_credentials(
        AkSkCredentials::new("a", "s").unwrap().into(),
        inner.clone(),
        None,
    )
    .unwrap();
    assert!(aksk.token_provider().is_none());
    let token =
        AuthLayer::from_credentials(Credentials::token("t").unwrap(), inner.clone(), None).unwrap();
    assert!(token.token_provider().is_none());
    let creds =
        PasswordCredentials::new("u", "p", "d", TokenScope::DomainName("d".into())).unwrap();
    let err = AuthLayer::from_credentials(creds.into(), inner, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("IAM endpoint"));
}
