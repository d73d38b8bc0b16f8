//! A multipart file part carries a `Content-Type` only when one is set, as the official SDK.

use codearts_pipeline::model::{FilePart, UploadPluginIconRequest, UploadPluginIconRequestBody};
use codearts_pipeline::PipelineClient;
use codearts_testkit::{signed_client, Reply, TestServer};

async fn upload(file: FilePart) -> codearts_testkit::Part {
    let server = TestServer::start().await;
    server.reply(Reply::text(200, "ok"));
    let client: PipelineClient = signed_client(&server);
    let request = UploadPluginIconRequest::new("domain-1", "my-plugin")
        .set_body(UploadPluginIconRequestBody::new(file));
    client.upload_plugin_icon(request).await.unwrap();
    let parts = server.single_request().multipart();
    assert_eq!(parts.len(), 1, "{parts:?}");
    parts.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_file_part_has_no_content_type_unless_set() {
    let part = upload(FilePart::new("icon.png", b"\x89PNG".to_vec())).await;
    assert_eq!(part.file_name.as_deref(), Some("icon.png"));
    assert_eq!(part.content_type, None);
    assert_eq!(part.data, b"\x89PNG");

    let part =
        upload(FilePart::new("icon.png", b"\x89PNG".to_vec()).set_content_type("image/png")).await;
    assert_eq!(part.content_type.as_deref(), Some("image/png"));
}
