//! Item streams over paged list operations fetch page after page and stop at the end.

use codearts_build::model::ListProjectJobsRequest;
use codearts_build::BuildClient;
use codearts_testkit::{signed_client, Reply, TestServer};
use futures_util::StreamExt;

fn page(ids: &[&str]) -> Reply {
    let jobs: Vec<_> = ids.iter().map(|id| serde_json::json!({"id": id})).collect();
    Reply::json(200, &serde_json::json!({"jobs": jobs}).to_string())
}

#[tokio::test]
async fn list_project_jobs_stream_walks_the_page_index_until_a_short_page() {
    let server = TestServer::start().await;
    server.reply(page(&["j1", "j2", "j3"]));
    server.reply(page(&["j4", "j5", "j6"]));
    server.reply(page(&["j7"]));
    let client: BuildClient = signed_client(&server);
    let ids: Vec<String> = client
        .list_project_jobs_stream(ListProjectJobsRequest::new("project", 0, 3))
        .map(|job| job.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, ["j1", "j2", "j3", "j4", "j5", "j6", "j7"]);
    let pages: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.raw_query.clone())
        .collect();
    assert_eq!(
        pages,
        [
            "page_index=0&page_size=3",
            "page_index=1&page_size=3",
            "page_index=2&page_size=3"
        ]
    );
}

#[tokio::test]
async fn an_empty_first_page_ends_at_once() {
    let server = TestServer::start().await;
    server.reply(page(&[]));
    let client: BuildClient = signed_client(&server);
    let all: Vec<_> = client
        .list_project_jobs_stream(ListProjectJobsRequest::new("project", 0, 3))
        .collect()
        .await;
    assert!(all.is_empty());
    assert_eq!(server.requests().len(), 1);
}
