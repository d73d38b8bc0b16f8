//! A mock of the stub trait sees the options of each call. Uses only `codearts_pipeline`
//! paths (plus mockall and tokio), as a downstream crate would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use codearts_pipeline::model::{
    ListPipelineQuery, ListPipelinesPagePipelines, ListPipelinesRequest, ListPipelinesResponse,
    RunPipelineRequest, RunPipelineResponse,
};
use codearts_pipeline::{PipelineClient, RequestOptions, Result};

mockall::mock! {
    Pipeline {}

    #[codearts_pipeline::stub::async_trait]
    impl codearts_pipeline::stub::Pipeline for Pipeline {
        async fn run_pipeline(
            &self,
            request: RunPipelineRequest,
            options: RequestOptions,
        ) -> Result<RunPipelineResponse>;
        async fn list_pipelines(
            &self,
            request: ListPipelinesRequest,
            options: RequestOptions,
        ) -> Result<ListPipelinesResponse>;
    }
}

fn info(id: &str) -> ListPipelinesPagePipelines {
    ListPipelinesPagePipelines::new().set_pipeline_id(id)
}

fn run() -> RunPipelineRequest {
    RunPipelineRequest::new("project", "pipeline")
}

#[tokio::test]
async fn a_plain_call_carries_default_options() {
    let mut mock = MockPipeline::new();
    mock.expect_run_pipeline()
        .withf(|r, options| r.pipeline_id == "pipeline" && *options == RequestOptions::default())
        .times(1)
        .returning(|_, _| Ok(RunPipelineResponse::new().set_pipeline_run_id("run-1")));
    let client = PipelineClient::from_stub(mock);
    let answer = client.run_pipeline(run()).await.unwrap();
    assert_eq!(answer.pipeline_run_id.as_deref(), Some("run-1"));
}

#[tokio::test]
async fn shorthands_reach_the_stub() {
    let expected = RequestOptions::never_retry()
        .with_attempt_timeout(Duration::from_secs(5))
        .with_operation_timeout(Duration::from_secs(20))
        .with_idempotent(false)
        .with_header("x-change-ticket", "CHG-42")
        .unwrap();
    let mut mock = MockPipeline::new();
    mock.expect_run_pipeline()
        .withf(move |_, options| *options == expected)
        .times(1)
        .returning(|_, _| Ok(RunPipelineResponse::new()));
    let client = PipelineClient::from_stub(mock);
    client
        .run_pipeline(run())
        .never_retry()
        .attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(20))
        .idempotent(false)
        .header("x-change-ticket", "CHG-42")
        .await
        .unwrap();
}

#[tokio::test]
async fn with_options_hands_over_a_whole_value_and_bad_headers_fail_before_the_stub() {
    let options = RequestOptions::default().with_idempotent(true);
    let mut mock = MockPipeline::new();
    let wanted = options.clone();
    mock.expect_run_pipeline()
        .withf(move |_, seen| *seen == wanted)
        .times(1)
        .returning(|_, _| Ok(RunPipelineResponse::new()));
    let client = PipelineClient::from_stub(mock);
    let call = client.run_pipeline(run()).with_options(options.clone());
    assert_eq!(call.options(), &options);
    call.await.unwrap();

    // The mock expects one call only: a header that cannot be sent stops the call first.
    let err = client
        .run_pipeline(run())
        .header("x-bad", "line\nbreak")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), codearts_pipeline::ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn every_page_of_a_stream_gets_the_options() {
    use codearts_pipeline::StreamExt;

    let seen: Arc<Mutex<Vec<RequestOptions>>> = Arc::default();
    let record = Arc::clone(&seen);
    let mut mock = MockPipeline::new();
    mock.expect_list_pipelines()
        .times(2)
        .returning(move |request, options| {
            record.lock().unwrap().push(options);
            let offset = request.body.and_then(|b| b.offset).unwrap_or(0);
            let pipelines = if offset == 0 {
                vec![info("a"), info("b")]
            } else {
                vec![info("c")]
            };
            Ok(ListPipelinesResponse::new()
                .set_pipelines(pipelines)
                .set_total(3))
        });
    let client = PipelineClient::from_stub(mock);
    let options = RequestOptions::default().with_attempt_timeout(Duration::from_secs(3));
    let request =
        ListPipelinesRequest::new("project").set_body(ListPipelineQuery::new().set_limit(2));
    let items: Vec<_> = client
        .list_pipelines_stream_with_options(request, options.clone())
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(*seen.lock().unwrap(), vec![options.clone(), options]);
}
