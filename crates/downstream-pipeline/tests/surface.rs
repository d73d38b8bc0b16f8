//! Everything a user does with `codearts-pipeline` alone: configure, call, page, mock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use codearts_pipeline::config::http::{Body, Bytes, Request, Response, StatusCode};
use codearts_pipeline::config::{
    AkSkCredentials, Backoff, ClientBuilder, Credentials, CredentialsChain, CredentialsSource,
    HttpClient, NeverRetry, PasswordCredentials, ReqwestClient, RetryBudget, RetryConfig,
    SharedHttpClient, StandardRetryPolicy, TokenScope, REGIONS,
};
use codearts_pipeline::error::ServiceErrorBody;
use codearts_pipeline::model::{
    ListPipelinesPagePipelines, ListPipelinesRequest, ListPipelinesResponse,
    RejectManualReviewRequest, RejectManualReviewResponse,
};
use codearts_pipeline::stub::async_trait;
use codearts_pipeline::{Error, ErrorKind, PipelineClient, RequestOptions, Result, StreamExt};

fn aksk() -> Credentials {
    Credentials::AkSk(
        AkSkCredentials::new("AK", "SK")
            .unwrap()
            .with_project_id("project-1"),
    )
}

/// The builder is a nameable type, for helpers like this one.
fn in_region() -> ClientBuilder<PipelineClient> {
    PipelineClient::builder().region("cn-north-4")
}

fn retry() -> RetryConfig {
    let backoff = Backoff::builder()
        .initial(Duration::from_millis(10))
        .max(Duration::from_millis(200))
        .multiplier(3.0)
        .build()
        .unwrap();
    RetryConfig::default()
        .with_max_attempts(4)
        .with_backoff(backoff)
        .with_policy(StandardRetryPolicy)
        .with_attempt_timeout(Duration::from_secs(5))
        .with_operation_timeout(Duration::from_secs(20))
        .with_budget(Some(Arc::new(RetryBudget::new(100, 5))))
}

#[test]
fn every_kind_of_credentials_configures_a_client() {
    let password = PasswordCredentials::new(
        "user",
        "pa55",
        "domain",
        TokenScope::ProjectName("cn-north-4".to_owned()),
    )
    .unwrap();
    for credentials in [
        aksk(),
        Credentials::Password(password),
        Credentials::token("MIItoken").unwrap(),
    ] {
        let kind = credentials.kind();
        let client = in_region().credentials(credentials).retry(retry()).build();
        assert!(client.is_ok(), "{kind}: {client:?}");
    }
    assert!(REGIONS.iter().any(|r| r.id == "cn-north-4"));
}

#[test]
fn the_chain_finds_credentials_or_says_where_it_looked() {
    let chain = CredentialsChain::new().with_env_lookup(|name| match name {
        "HUAWEICLOUD_SDK_AK" => Some("ENV_AK".to_owned()),
        "HUAWEICLOUD_SDK_SK" => Some("ENV_SK".to_owned()),
        _ => None,
    });
    let resolved = chain.resolve().unwrap();
    assert_eq!(resolved.source, CredentialsSource::Environment);
    let client = PipelineClient::builder()
        .region("cn-north-4")
        .credentials_chain(chain)
        .build();
    assert!(client.is_ok());

    let empty = CredentialsChain::new()
        .with_env_lookup(|_| None)
        .with_profile_path("/nonexistent/credentials");
    let err = PipelineClient::builder()
        .region("cn-north-4")
        .credentials_chain(empty)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.is_credentials() && !err.is_auth());
}

#[test]
fn the_http_client_is_configured_or_replaced() {
    let built = PipelineClient::builder()
        .region("cn-north-4")
        .credentials(aksk())
        .retry(RetryConfig::disabled())
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(4)
        .max_in_flight(16)
        .proxy("http://proxy.internal:3128")
        .user_agent("my-tool/1.0")
        .body_limit(1024 * 1024)
        .build();
    assert!(built.is_ok(), "{built:?}");

    let settings = ReqwestClient::builder()
        .connect_timeout(Duration::from_secs(1))
        .user_agent("my-tool/2.0");
    let built = PipelineClient::builder()
        .endpoint("http://127.0.0.1:9")
        .credentials(aksk())
        .http_settings(settings)
        .build();
    assert!(built.is_ok(), "{built:?}");

    let err = PipelineClient::builder()
        .region("cn-north-4")
        .credentials(aksk())
        .proxy("not a proxy url")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);

    let replaced: SharedHttpClient = Arc::new(ReqwestClient::new().unwrap());
    let err = PipelineClient::builder()
        .region("cn-north-4")
        .credentials(aksk())
        .http_client(replaced)
        .user_agent("my-tool/3.0")
        .build()
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Config,
        "settings and a client conflict"
    );
}

/// A replacement HTTP client, written with the facade's re-exports only.
#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<(String, String, bool)>>,
}

#[async_trait]
impl HttpClient for Recorder {
    async fn send(&self, request: Request) -> Result<Response> {
        self.seen.lock().unwrap().push((
            request.method().to_string(),
            request.uri().path().to_owned(),
            request.headers().contains_key("authorization"),
        ));
        let mut response = Response::new(Body::from(Bytes::from_static(
            br#"{"error_code":"DEV.00000005","error_msg":"busy"}"#,
        )));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response
            .headers_mut()
            .insert("x-request-id", "req-42".parse().unwrap());
        Ok(response)
    }
}

#[tokio::test]
async fn a_replacement_http_client_sees_signed_requests_and_errors_read_well() {
    let recorder = Arc::new(Recorder::default());
    let client = PipelineClient::builder()
        .endpoint("https://pipeline.example.com")
        .credentials(aksk())
        .retry(RetryConfig::disabled().with_policy(NeverRetry))
        .http_client(recorder.clone())
        .build()
        .unwrap();
    let err = client
        .reject_manual_review(RejectManualReviewRequest::new(
            "p", "pl", "run", "job", "step",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status_code(), Some(503));
    assert_eq!(err.error_code(), Some("DEV.00000005"));
    assert_eq!(err.request_id(), Some("req-42"));
    assert!(err.is_retryable());
    assert_eq!(
        err.headers().and_then(|h| h.get("x-request-id")).unwrap(),
        "req-42"
    );
    let body: &ServiceErrorBody = err.service_error().unwrap();
    assert_eq!(body.message.as_deref(), Some("busy"));
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "POST");
    assert!(seen[0].2, "signed");
}

mockall::mock! {
    Pipeline {}

    #[async_trait]
    impl codearts_pipeline::stub::Pipeline for Pipeline {
        async fn reject_manual_review(
            &self,
            request: RejectManualReviewRequest,
            options: RequestOptions,
        ) -> Result<RejectManualReviewResponse>;
        async fn list_pipelines(&self, request: ListPipelinesRequest,
            options: RequestOptions,
        ) -> Result<ListPipelinesResponse>;
    }
}

#[tokio::test]
async fn a_mock_returns_a_service_error_with_code_and_request_id() {
    let mut mock = MockPipeline::new();
    mock.expect_reject_manual_review()
        .times(1)
        .returning(|_, _| {
            Err(Error::service(409, "DEV.00000003", "the review is closed")
                .with_request_id("req-7")
                .with_header("Retry-After", "1"))
        });
    let client = PipelineClient::from_stub(mock);
    let err = client
        .reject_manual_review(RejectManualReviewRequest::new(
            "p", "pl", "run", "job", "step",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status_code(), Some(409));
    assert_eq!(err.error_code(), Some("DEV.00000003"));
    assert_eq!(err.error_msg(), Some("the review is closed"));
    assert_eq!(err.request_id(), Some("req-7"));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert!(!err.is_retryable() && !err.is_throttling());

    let throttled = Error::service(429, "APIGW.0308", "slow down");
    assert!(throttled.is_throttling() && throttled.is_retryable());
}

#[tokio::test]
async fn a_mock_feeds_a_page_stream() {
    let mut mock = MockPipeline::new();
    mock.expect_list_pipelines().returning(|request, _| {
        let offset = request.body.and_then(|b| b.offset).unwrap_or(0);
        let page: Vec<ListPipelinesPagePipelines> = if offset == 0 {
            vec![
                ListPipelinesPagePipelines::new().set_name("a"),
                ListPipelinesPagePipelines::new().set_name("b"),
            ]
        } else {
            Vec::new()
        };
        Ok(ListPipelinesResponse::new()
            .set_total(2)
            .set_pipelines(page))
    });
    let client = PipelineClient::from_stub(mock);
    let mut stream = client.list_pipelines_stream(ListPipelinesRequest::new("p"));
    let mut names = Vec::new();
    while let Some(item) = stream.next().await {
        names.push(item.unwrap().name.unwrap_or_default());
    }
    assert_eq!(names, ["a", "b"]);
}
