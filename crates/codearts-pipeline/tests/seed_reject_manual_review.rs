//! Seed operation 1, RejectManualReview, end to end against a loopback server.

use codearts_pipeline::model::RejectManualReviewRequest;
use codearts_pipeline::{ErrorKind, PipelineClient};
use codearts_testkit::{signed_client, Reply, TestServer};

const PROJECT: &str = "d80a8a6530324b7bac972cbb8a9f28ec";
const PIPELINE: &str = "8bfbd69eac154a0da341705a36294aca";
const RUN: &str = "12abeb9da0964cf3bd3ffd6813153e12";
const JOB_RUN: &str = "97b4991cf3374d8d96e08b38f79c8827";
const STEP_RUN: &str = "6ff8e898026447a9a3eaa592e94b9384";

fn request() -> RejectManualReviewRequest {
    RejectManualReviewRequest::new(PROJECT, PIPELINE, RUN, JOB_RUN, STEP_RUN)
}

#[tokio::test]
async fn sends_the_documented_request_and_decodes_success() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{ "success" : true }"#).header("X-Request-Id", "rid-1"));
    let client: PipelineClient = signed_client(&server);

    let response = client
        .reject_manual_review(request().set_approval_description("scan failed: CVE-2026-1"))
        .await
        .unwrap();
    assert_eq!(response.success, Some(true));

    let seen = server.single_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.path,
        format!("/v5/{PROJECT}/api/pipelines/{PIPELINE}/pipeline-runs/{RUN}/jobs/{JOB_RUN}/steps/{STEP_RUN}/refuse")
    );
    assert_eq!(
        seen.raw_query,
        "approval_description=scan%20failed%3A%20CVE-2026-1"
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.header("host"),
        Some(server.url().trim_start_matches("http://"))
    );
    let date = seen.header("x-sdk-date").expect("X-Sdk-Date is sent");
    assert_eq!(date.len(), 16, "YYYYMMDDTHHMMSSZ: {date}");
    assert!(seen.header("authorization").unwrap().starts_with(
        "SDK-HMAC-SHA256 Access=TESTAK, SignedHeaders=content-type;host;x-sdk-date, Signature="
    ));
    seen.assert_signed_by("TESTAK");
    assert!(seen.body.is_empty());
}

#[tokio::test]
async fn the_optional_description_is_left_out_when_unset() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"success":false}"#));
    let client: PipelineClient = signed_client(&server);
    let response = client.reject_manual_review(request()).await.unwrap();
    assert_eq!(response.success, Some(false));
    assert_eq!(server.single_request().raw_query, "");
}

#[tokio::test]
async fn tolerates_missing_and_unknown_fields() {
    let server = TestServer::start().await;
    server.reply(Reply::json(200, r#"{"extra":{"nested":[1,2]}}"#));
    let client: PipelineClient = signed_client(&server);
    let response = client.reject_manual_review(request()).await.unwrap();
    assert_eq!(response.success, None);
}

#[tokio::test]
async fn documented_error_statuses_become_typed_errors() {
    let cases = [
        (
            400,
            ErrorKind::Service,
            r#"{"error_code":"DEV.00000002","error_msg":"invalid step id"}"#,
            "DEV.00000002",
            "invalid step id",
        ),
        (
            401,
            ErrorKind::Auth,
            r#"{"error_code":"DEV.00000003","error_msg":"token expired"}"#,
            "DEV.00000003",
            "token expired",
        ),
        (
            403,
            ErrorKind::Service,
            r#"{"errorCode":"DEV.00000004","errorMsg":"no permission"}"#,
            "DEV.00000004",
            "no permission",
        ),
        (
            404,
            ErrorKind::Service,
            r#"{"error":{"code":"DEV.00000005","message":"run not found"}}"#,
            "DEV.00000005",
            "run not found",
        ),
        (
            500,
            ErrorKind::Service,
            r#"{"code":"DEV.00000006","message":"internal error"}"#,
            "DEV.00000006",
            "internal error",
        ),
    ];
    for (status, kind, body, code, msg) in cases {
        let server = TestServer::start().await;
        server.reply(Reply::json(status, body).header("X-Request-Id", &format!("rid-{status}")));
        let client: PipelineClient = signed_client(&server);
        let err = client.reject_manual_review(request()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status}");
        assert_eq!(err.http_status_code(), Some(status));
        assert_eq!(err.error_code(), Some(code));
        assert_eq!(err.error_msg(), Some(msg));
        assert_eq!(err.request_id(), Some(format!("rid-{status}").as_str()));
        let text = err.to_string();
        assert!(
            text.contains(code) && text.contains(msg) && text.contains(&format!("rid-{status}")),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_non_json_error_body_keeps_its_text() {
    let server = TestServer::start().await;
    server.reply(Reply::text(500, "upstream connect error").header("X-Request-Id", "rid-x"));
    let client: PipelineClient = signed_client(&server);
    let err = client.reject_manual_review(request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.error_code(), None);
    assert_eq!(err.body_snippet(), Some("upstream connect error"));
    assert_eq!(err.request_id(), Some("rid-x"));
}

#[tokio::test]
async fn ids_cannot_leave_their_path_segment() {
    let server = TestServer::start().await;
    for _ in 0..4 {
        server.reply(Reply::json(200, r#"{"success":true}"#));
    }
    let client: PipelineClient = signed_client(&server);
    for (step, encoded) in [
        ("../../x", "..%2F..%2Fx"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("a#frag", "a%23frag"),
        ("%2F", "%252F"),
    ] {
        let request = RejectManualReviewRequest::new(PROJECT, PIPELINE, RUN, JOB_RUN, step);
        client.reject_manual_review(request).await.unwrap();
        let seen = server.requests().pop().unwrap();
        assert_eq!(
            seen.path,
            format!("/v5/{PROJECT}/api/pipelines/{PIPELINE}/pipeline-runs/{RUN}/jobs/{JOB_RUN}/steps/{encoded}/refuse")
        );
        assert_eq!(seen.raw_query, "");
        seen.assert_signed_by("TESTAK");
    }
    for bad in ["..", ".", ""] {
        let request = RejectManualReviewRequest::new(PROJECT, PIPELINE, RUN, JOB_RUN, bad);
        let err = client.reject_manual_review(request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{bad:?}");
    }
    assert_eq!(server.requests().len(), 4, "refused ids are never sent");
}
