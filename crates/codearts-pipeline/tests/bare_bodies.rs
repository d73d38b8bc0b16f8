//! Operations whose answer is a bare string take it as a JSON string or as plain text.

use codearts_pipeline::model::{CreateBasicPluginRequest, PluginBasicDTO};
use codearts_pipeline::PipelineClient;
use codearts_testkit::{signed_client, Reply, TestServer};

fn request() -> CreateBasicPluginRequest {
    CreateBasicPluginRequest::new("domain").set_body(PluginBasicDTO::new("p", "P", "b", "B"))
}

#[tokio::test]
async fn a_json_string_is_unquoted_and_plain_text_kept() {
    for (reply, expected) in [
        (Reply::json(200, r#""plugin-\"42\"""#), r#"plugin-"42""#),
        (Reply::text(200, "plugin-42"), "plugin-42"),
        (
            Reply::json(200, r#"{"not":"a string"}"#),
            r#"{"not":"a string"}"#,
        ),
    ] {
        let server = TestServer::start().await;
        server.reply(reply);
        let client: PipelineClient = signed_client(&server);
        let answer = client.create_basic_plugin(request()).await.unwrap();
        assert_eq!(answer.body.as_deref(), Some(expected));
    }
}
