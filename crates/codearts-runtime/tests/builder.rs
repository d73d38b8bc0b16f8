//! The builder assembles a working stack; the untyped client sends through it.

use std::sync::Arc;
use std::time::Duration;

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_runtime::{ClientBuilder, ServiceClient, UntypedClient};
use codearts_testkit::{Reply, TestServer, TEST_AK, TEST_SK};
use codearts_transport::{ErrorKind, Region, ReqwestClient, RetryConfig, ServiceHttp};

#[derive(Debug)]
struct Demo(ServiceHttp);

impl ServiceClient for Demo {
    const SERVICE: &'static str = "demo";
    const REGIONS: &'static [Region] = &[Region::new(
        "cn-north-4",
        "https://demo.cn-north-4.example.com",
    )];
    fn from_http(http: ServiceHttp) -> Self {
        Demo(http)
    }
}

fn credentials() -> Credentials {
    Credentials::AkSk(AkSkCredentials::new(TEST_AK, TEST_SK).unwrap())
}

fn untyped(server: &TestServer) -> UntypedClient {
    ClientBuilder::<Demo>::new()
        .endpoint(server.url())
        .credentials(credentials())
        .retry(RetryConfig::disabled())
        .user_agent("downstream/2.0")
        .connect_timeout(Duration::from_secs(2))
        .build_untyped()
        .unwrap()
}

#[test]
fn regions_resolve_and_unknown_ones_are_config_errors() {
    let client: Demo = ClientBuilder::new()
        .region("cn-north-4")
        .credentials(credentials())
        .build()
        .unwrap();
    assert_eq!(
        client.0.endpoint().as_str(),
        "https://demo.cn-north-4.example.com"
    );
    let err = ClientBuilder::<Demo>::new()
        .region("mars-1")
        .credentials(credentials())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = ClientBuilder::<Demo>::new()
        .credentials(credentials())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn a_given_http_client_and_http_settings_conflict() {
    let err = ClientBuilder::<Demo>::new()
        .region("cn-north-4")
        .credentials(credentials())
        .http_client(Arc::new(ReqwestClient::new().unwrap()))
        .proxy("http://proxy.internal:3128")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("HTTP settings"), "{err}");
}

#[test]
fn a_bad_proxy_is_a_config_error_naming_no_secret() {
    let err = ClientBuilder::<Demo>::new()
        .region("cn-north-4")
        .credentials(credentials())
        .proxy("::not a url::user:hunter2@")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[tokio::test]
async fn untyped_calls_go_through_the_signed_stack_with_the_settings() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"ok":true}"#));
    let response = untyped(&server)
        .send(
            "post",
            "/v1/preview/things",
            &[("b", "2"), ("a", "x y")],
            &[("X-Extra", "1")],
            Some(r#"{"name":"n"}"#.into()),
        )
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.body.as_ref(), br#"{"ok":true}"#);

    let seen = server.single_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/v1/preview/things");
    assert_eq!(seen.raw_query, "a=x%20y&b=2");
    assert_eq!(seen.header("x-extra"), Some("1"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("user-agent"), Some("downstream/2.0"));
    let auth = seen.header("authorization").unwrap();
    assert!(auth.starts_with("SDK-HMAC-SHA256 Access=TESTAK,"), "{auth}");
}

#[tokio::test]
async fn untyped_errors_carry_the_service_error_or_say_what_is_wrong() {
    let server = TestServer::start().await;
    server.reply(
        Reply::json(
            404,
            r#"{"error_code":"DEV.00001","error_msg":"no such thing"}"#,
        )
        .header("X-Request-Id", "req-9"),
    );
    server.reply(Reply::json(
        404,
        r#"{"error_code":"DEV.00001","error_msg":"again"}"#,
    ));
    let client = untyped(&server);
    let err = client
        .send("GET", "/v1/missing", &[], &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.error_code(), Some("DEV.00001"));
    assert_eq!(err.request_id(), Some("req-9"));

    let request = UntypedClient::request("GET", "/v1/missing", &[], &[], None).unwrap();
    let any = client.send_any_status(request).await.unwrap();
    assert_eq!(any.status.as_u16(), 404);
    assert!(String::from_utf8_lossy(&any.body).contains("again"));

    let bad = client.send("GE T", "/x", &[], &[], None).await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidRequest);
    let bad = client.send("GET", "x", &[], &[], None).await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidRequest);
    let bad = client
        .send("GET", "/x", &[], &[("bad header", "v")], None)
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidRequest);
    assert_eq!(server.requests().len(), 2);
}
