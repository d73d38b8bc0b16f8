//! Answers that are not what the operation promises become typed errors that keep the status,
//! the request id and a snippet of the body: never a panic.

use codearts_build::model::ShowProjectJobPermissionRequest;
use codearts_build::{BuildClient, ErrorKind};
use codearts_testkit::{Reply, TestServer, TEST_AK, TEST_SK};
use codearts_transport::RetryConfig;

fn request() -> ShowProjectJobPermissionRequest {
    ShowProjectJobPermissionRequest::new("p", "j")
}

fn client(server: &TestServer, body_limit: usize) -> BuildClient {
    BuildClient::builder()
        .endpoint(server.url())
        .credentials(codearts_build::config::Credentials::AkSk(
            codearts_build::config::AkSkCredentials::new(TEST_AK, TEST_SK).unwrap(),
        ))
        .retry(RetryConfig::disabled())
        .body_limit(body_limit)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let server = TestServer::start().await;
    let huge = format!(r#"{{"status":"success","padding":"{}"}}"#, "x".repeat(4096));
    server.reply(Reply::json(200, &huge).header("X-Request-Id", "rid-big"));
    let err = client(&server, 1024)
        .show_project_job_permission(request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge);
    assert_eq!(err.http_status_code(), Some(200));
    assert_eq!(err.request_id(), Some("rid-big"));
    assert!(err.message().contains("1024"), "{err}");
}

#[tokio::test]
async fn an_html_page_instead_of_json_is_a_decode_error() {
    let server = TestServer::start().await;
    server.reply(
        Reply::bytes(
            200,
            "text/html",
            b"<html><body>Gateway maintenance</body></html>".to_vec(),
        )
        .header("X-Request-Id", "rid-html"),
    );
    let err = client(&server, 1 << 20)
        .show_project_job_permission(request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.http_status_code(), Some(200));
    assert_eq!(err.request_id(), Some("rid-html"));
    assert_eq!(
        err.body_snippet(),
        Some("<html><body>Gateway maintenance</body></html>")
    );
}

#[tokio::test]
async fn truncated_and_mistyped_json_name_what_failed() {
    for (body, expect) in [
        (r#"{"result":{"role_id":3,"job_id":"#, "does not match"),
        (r#"{"result":{"is_view":"yes"}}"#, "result.is_view"),
        (r#"{"result":[1,2,3]}"#, "result"),
    ] {
        let server = TestServer::start().await;
        server.reply(Reply::json(200, body).header("X-Request-Id", "rid-bad"));
        let err = client(&server, 1 << 20)
            .show_project_job_permission(request())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}");
        assert!(err.message().contains(expect), "{body}: {}", err.message());
        assert_eq!(err.request_id(), Some("rid-bad"));
        assert_eq!(err.body_snippet(), Some(body));
    }
}

#[tokio::test]
async fn an_error_status_with_a_huge_body_keeps_only_a_snippet() {
    let server = TestServer::start().await;
    let huge = "E".repeat(100_000);
    server.reply(Reply::text(502, &huge).header("X-Request-Id", "rid-502"));
    let err = client(&server, 1 << 20)
        .show_project_job_permission(request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status_code(), Some(502));
    assert!(err.body_snippet().unwrap().len() < 1_000);
    assert!(err.to_string().len() < 1_200);
}
