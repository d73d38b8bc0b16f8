//! Issue 9: a redirected `run_pipeline` is an error, not an empty success, and nothing is
//! sent to the host the redirect names.

use codearts_pipeline::model::RunPipelineRequest;
use codearts_pipeline::{ErrorKind, PipelineClient};
use codearts_testkit::{signed_client, Reply, TestServer};

#[tokio::test]
async fn a_redirected_run_pipeline_is_an_error() {
    for status in [301, 302, 303, 307, 308] {
        let elsewhere = TestServer::start().await;
        elsewhere.reply(Reply::json(200, "{}"));
        let server = TestServer::start().await;
        server.reply(
            Reply::text(status, "")
                .header(
                    "Location",
                    &format!("{}/v5/p/api/pipelines/q/run", elsewhere.url()),
                )
                .header("X-Request-Id", "rid-3xx"),
        );
        let client: PipelineClient = signed_client(&server);
        let err = client
            .run_pipeline(RunPipelineRequest::new("p", "q"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redirect, "{status}");
        assert_eq!(err.http_status_code(), Some(status));
        assert_eq!(err.request_id(), Some("rid-3xx"));
        assert!(err.to_string().contains(&elsewhere.url()), "{err}");
        assert_eq!(server.single_request().method, "POST");
        assert!(elsewhere.requests().is_empty(), "{status}");
    }
}
