//! What goes on the wire matches the official SDK where proxies and servers can tell.

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_runtime::{ClientBuilder, ServiceClient, UntypedClient};
use codearts_testkit::{Reply, TestServer, TEST_AK, TEST_SK};
use codearts_transport::{Region, RetryConfig, ServiceHttp};

#[derive(Debug)]
struct Demo;

impl ServiceClient for Demo {
    const SERVICE: &'static str = "demo";
    const REGIONS: &'static [Region] = &[];
    fn from_http(_: ServiceHttp) -> Self {
        Demo
    }
}

fn client(server: &TestServer) -> UntypedClient {
    ClientBuilder::<Demo>::new()
        .endpoint(server.url())
        .credentials(Credentials::AkSk(
            AkSkCredentials::new(TEST_AK, TEST_SK).unwrap(),
        ))
        .retry(RetryConfig::disabled())
        .build_untyped()
        .unwrap()
}

/// Some proxies refuse a POST without a length (411); the official SDK (Python `requests`)
/// sends `Content-Length: 0` on every bodiless request but GET and HEAD, and does not sign it.
#[tokio::test]
async fn bodiless_requests_other_than_get_carry_content_length_zero_unsigned() {
    let server = TestServer::start().await;
    for method in ["POST", "PUT", "DELETE", "PATCH", "GET"] {
        server.reply(Reply::json(200, "{}"));
        client(&server)
            .send(method, "/v1/things/1", &[], &[], None)
            .await
            .unwrap();
    }
    for seen in server.requests() {
        let length = seen.header("content-length");
        if seen.method == "GET" {
            assert_eq!(length, None, "GET sends no length");
        } else {
            assert_eq!(
                length,
                Some("0"),
                "{} must send Content-Length: 0",
                seen.method
            );
        }
        let auth = seen.header("authorization").unwrap();
        assert!(!auth.contains("content-length"), "{auth}");
        seen.assert_signed_by(TEST_AK);
    }
}

/// A request with a body keeps its real length.
#[tokio::test]
async fn a_body_keeps_its_length() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, "{}"));
    client(&server)
        .send("POST", "/v1/things", &[], &[], Some("{\"a\":1}".into()))
        .await
        .unwrap();
    assert_eq!(server.single_request().header("content-length"), Some("7"));
}
