//! Seed operation 2, ShowProjectJobPermission, end to end against a loopback server.

use codearts_build::model::ShowProjectJobPermissionRequest;
use codearts_build::{BuildClient, ErrorKind};
use codearts_testkit::{signed_client, Reply, TestServer};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const JOB: &str = "fedcba9876543210fedcba9876543210";

const MATRIX: &str = r#"{
  "result": {
    "role_id": 3, "job_id": "fedcba9876543210fedcba9876543210",
    "is_modify": true, "is_delete": false, "is_view": true, "is_execute": true,
    "is_copy": true, "is_forbidden": false, "is_manager": false,
    "create_time": "2026-11-01 10:00:00", "last_update_time": "2026-11-20 09:30:00",
    "count": 2, "unknown_field": "ignored"
  },
  "status": "success"
}"#;

#[tokio::test]
async fn sends_the_documented_request_and_decodes_the_matrix() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, MATRIX));
    let client: BuildClient = signed_client(&server);

    let response = client
        .show_project_job_permission(ShowProjectJobPermissionRequest::new(PROJECT, JOB))
        .await
        .unwrap();
    assert_eq!(response.status.as_deref(), Some("success"));
    let matrix = response.result.expect("a result");
    assert_eq!(matrix.role_id, Some(3));
    assert_eq!(matrix.job_id.as_deref(), Some(JOB));
    assert_eq!(
        (
            matrix.is_modify,
            matrix.is_delete,
            matrix.is_view,
            matrix.is_execute
        ),
        (Some(true), Some(false), Some(true), Some(true))
    );
    assert_eq!(
        (matrix.is_copy, matrix.is_forbidden, matrix.is_manager),
        (Some(true), Some(false), Some(false))
    );
    assert_eq!(matrix.create_time.as_deref(), Some("2026-11-01 10:00:00"));
    assert_eq!(
        matrix.last_update_time.as_deref(),
        Some("2026-11-20 09:30:00")
    );
    assert_eq!(matrix.count, Some(2));

    let seen = server.single_request();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/v1/job/permission");
    // Sorted and escaped exactly as it was signed.
    assert_eq!(seen.raw_query, format!("job_id={JOB}&project_id={PROJECT}"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert!(seen.header("authorization").unwrap().starts_with(
        "SDK-HMAC-SHA256 Access=TESTAK, SignedHeaders=content-type;host;x-sdk-date, Signature="
    ));
    seen.assert_signed_by("TESTAK");
}

#[tokio::test]
async fn an_empty_envelope_decodes_to_nothing() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, "{}"));
    let client: BuildClient = signed_client(&server);
    let response = client
        .show_project_job_permission(ShowProjectJobPermissionRequest::new(PROJECT, JOB))
        .await
        .unwrap();
    assert_eq!(response.result, None);
    assert_eq!(response.status, None);
}

#[tokio::test]
async fn query_values_are_escaped() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, MATRIX));
    let client: BuildClient = signed_client(&server);
    client
        .show_project_job_permission(ShowProjectJobPermissionRequest::new("p&x=1", "j k/ü"))
        .await
        .unwrap();
    let seen = server.single_request();
    assert_eq!(seen.raw_query, "job_id=j%20k%2F%C3%BC&project_id=p%26x%3D1");
    assert_eq!(
        seen.query_pairs(),
        vec![("job_id", "j k/ü"), ("project_id", "p&x=1")]
    );
    seen.assert_signed_by("TESTAK");
}

#[tokio::test]
async fn documented_error_statuses_become_typed_errors() {
    let cases = [
        (
            400,
            ErrorKind::Service,
            r#"{"error_code":"CB.00000001","error_msg":"bad job id"}"#,
            "CB.00000001",
            "bad job id",
        ),
        (
            401,
            ErrorKind::Auth,
            r#"{"error_code":"CB.00000002","error_msg":"unauthorized"}"#,
            "CB.00000002",
            "unauthorized",
        ),
        (
            403,
            ErrorKind::Service,
            r#"{"result":null,"status":"fail","error":{"error_code":"CB.00000003","error_msg":"forbidden"}}"#,
            "CB.00000003",
            "forbidden",
        ),
        (
            404,
            ErrorKind::Service,
            r#"{"errorCode":"CB.00000004","errorMsg":"job not found"}"#,
            "CB.00000004",
            "job not found",
        ),
        (
            500,
            ErrorKind::Service,
            r#"{"code":"CB.00000005","message":"server error"}"#,
            "CB.00000005",
            "server error",
        ),
    ];
    for (status, kind, body, code, msg) in cases {
        let server = TestServer::start().await;
        server.reply(Reply::json(status, body).header("X-Request-Id", &format!("rid-{status}")));
        let client: BuildClient = signed_client(&server);
        let err = client
            .show_project_job_permission(ShowProjectJobPermissionRequest::new(PROJECT, JOB))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{status}");
        assert_eq!(err.http_status_code(), Some(status));
        assert_eq!(err.error_code(), Some(code));
        assert_eq!(err.error_msg(), Some(msg));
        assert_eq!(err.request_id(), Some(format!("rid-{status}").as_str()));
    }
}

#[tokio::test]
async fn a_malformed_success_body_is_a_decode_error_naming_the_field() {
    let server = TestServer::start().await;
    server.reply(
        Reply::json(200, r#"{"result":{"role_id":"three"}}"#).header("X-Request-Id", "rid-d"),
    );
    let client: BuildClient = signed_client(&server);
    let err = client
        .show_project_job_permission(ShowProjectJobPermissionRequest::new(PROJECT, JOB))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(
        err.message().contains("result.role_id"),
        "{}",
        err.message()
    );
    assert_eq!(err.http_status_code(), Some(200));
    assert_eq!(err.request_id(), Some("rid-d"));
}
