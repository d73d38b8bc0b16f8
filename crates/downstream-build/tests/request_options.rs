//! A mock of the stub trait sees the options of each call. Uses only `codearts_build` paths
//! (plus mockall and tokio), as a downstream crate would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use codearts_build::model::{
    ListJobRequest, ListJobResponse, ListJobResult, ListJobResultJobList, RunJobRequest,
    RunJobRequestBody, RunJobResponse,
};
use codearts_build::{BuildClient, RequestOptions, Result};

mockall::mock! {
    Build {}

    #[codearts_build::stub::async_trait]
    impl codearts_build::stub::Build for Build {
        async fn run_job(
            &self,
            request: RunJobRequest,
            options: RequestOptions,
        ) -> Result<RunJobResponse>;
        async fn list_job(
            &self,
            request: ListJobRequest,
            options: RequestOptions,
        ) -> Result<ListJobResponse>;
    }
}

fn run() -> RunJobRequest {
    RunJobRequest::new().set_body(RunJobRequestBody::new("job-1"))
}

#[tokio::test]
async fn a_plain_call_carries_default_options() {
    let mut mock = MockBuild::new();
    mock.expect_run_job()
        .withf(|r, options| {
            r.body.as_ref().map(|b| b.job_id.as_str()) == Some("job-1")
                && *options == RequestOptions::default()
        })
        .times(1)
        .returning(|_, _| Ok(RunJobResponse::new()));
    BuildClient::from_stub(mock).run_job(run()).await.unwrap();
}

#[tokio::test]
async fn shorthands_and_whole_options_reach_the_stub() {
    let expected = RequestOptions::never_retry()
        .with_operation_timeout(Duration::from_secs(45))
        .with_header("x-build-reason", "nightly")
        .unwrap();
    let seen: Arc<Mutex<Vec<RequestOptions>>> = Arc::default();
    let record = Arc::clone(&seen);
    let mut mock = MockBuild::new();
    mock.expect_run_job().times(2).returning(move |_, options| {
        record.lock().unwrap().push(options);
        Ok(RunJobResponse::new())
    });
    let client = BuildClient::from_stub(mock);
    client
        .run_job(run())
        .operation_timeout(Duration::from_secs(45))
        .header("x-build-reason", "nightly")
        .never_retry()
        .await
        .unwrap();
    client
        .run_job(run())
        .with_options(expected.clone())
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![expected.clone(), expected]);
}

#[tokio::test]
async fn every_page_of_a_stream_gets_the_options() {
    use codearts_build::StreamExt;

    type Seen = Vec<(Option<i64>, RequestOptions)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let record = Arc::clone(&seen);
    let mut mock = MockBuild::new();
    mock.expect_list_job()
        .times(2)
        .returning(move |request, options| {
            record.lock().unwrap().push((request.page_index, options));
            let jobs = if request.page_index == Some(0) { 2 } else { 1 };
            Ok(ListJobResponse::new().set_result(
                ListJobResult::new()
                    .set_total(3)
                    .set_job_list(vec![ListJobResultJobList::new(); jobs]),
            ))
        });
    let client = BuildClient::from_stub(mock);
    let options = RequestOptions::default().with_idempotent(true);
    let items: Vec<_> = client
        .list_job_stream_with_options(ListJobRequest::new().set_page_size(2), options.clone())
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(Some(0), options.clone()), (Some(1), options)]
    );
}
