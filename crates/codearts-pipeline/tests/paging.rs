//! Item streams over paged list operations fetch page after page and stop at the end.

use codearts_pipeline::model::{ListPipelineQuery, ListPipelinesRequest};
use codearts_pipeline::PipelineClient;
use codearts_testkit::{signed_client, Reply, TestServer};
use futures_util::StreamExt;

fn page(names: &[&str], total: usize) -> Reply {
    let pipelines: Vec<_> = names
        .iter()
        .map(|n| serde_json::json!({"pipeline_id": format!("id-{n}"), "name": n}))
        .collect();
    Reply::json(
        200,
        &serde_json::json!({"pipelines": pipelines, "total": total}).to_string(),
    )
}

#[tokio::test]
async fn list_pipelines_stream_walks_the_offsets_in_the_body() {
    let server = TestServer::start().await;
    server.reply(page(&["a", "b"], 5));
    server.reply(page(&["c", "d"], 5));
    server.reply(page(&["e"], 5));
    let client: PipelineClient = signed_client(&server);
    let request =
        ListPipelinesRequest::new("project").set_body(ListPipelineQuery::new().set_limit(2));
    let names: Vec<String> = client
        .list_pipelines_stream(request)
        .map(|item| item.unwrap().name.unwrap())
        .collect()
        .await;
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let offsets: Vec<_> = server
        .requests()
        .iter()
        .map(|r| (r.json()["offset"].clone(), r.json()["limit"].clone()))
        .collect();
    assert_eq!(
        offsets,
        [
            (serde_json::Value::Null, 2.into()),
            (2.into(), 2.into()),
            (4.into(), 2.into())
        ]
    );
    for request in server.requests() {
        assert_eq!(request.path, "/v5/project/api/pipelines/list");
        request.assert_signed_by("TESTAK");
    }
}

#[tokio::test]
async fn the_reported_total_ends_the_stream_without_an_extra_call() {
    let server = TestServer::start().await;
    server.reply(page(&["a", "b"], 4));
    server.reply(page(&["c", "d"], 4));
    let client: PipelineClient = signed_client(&server);
    let request = ListPipelinesRequest::new("p").set_body(ListPipelineQuery::new().set_limit(2));
    let all: Vec<_> = client.list_pipelines_stream(request).collect().await;
    assert_eq!(all.len(), 4);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn an_error_page_is_yielded_and_ends_the_stream() {
    let server = TestServer::start().await;
    server.reply(page(&["a", "b"], 10));
    server.reply(Reply::json(
        500,
        r#"{"error_code":"DEV.500","error_msg":"down"}"#,
    ));
    let client: PipelineClient = signed_client(&server);
    let request = ListPipelinesRequest::new("p").set_body(ListPipelineQuery::new().set_limit(2));
    let all: Vec<_> = client.list_pipelines_stream(request).collect().await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].as_ref().unwrap_err().error_code(), Some("DEV.500"));
}
