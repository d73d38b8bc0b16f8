//! Performs the two seed operations, signed with AK/SK, against a local server started here,
//! and prints what went over the wire and what came back.
//!
//! `cargo run -p codearts-testkit --example seeds`

use codearts_build::model::ShowProjectJobPermissionRequest;
use codearts_build::BuildClient;
use codearts_pipeline::model::RejectManualReviewRequest;
use codearts_pipeline::PipelineClient;
use codearts_testkit::{signed_client, Recorded, Reply, TestServer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = TestServer::start().await;
    println!("local server: {}\n", server.url());

    println!("1. RejectManualReview (CodeArts Pipeline)");
    server.reply(Reply::json(200, r#"{"success":true}"#).header("X-Request-Id", "demo-1"));
    let pipeline: PipelineClient = signed_client(&server);
    let refused = pipeline
        .reject_manual_review(
            RejectManualReviewRequest::new(
                "d80a8a6530324b7bac972cbb8a9f28ec",
                "8bfbd69eac154a0da341705a36294aca",
                "12abeb9da0964cf3bd3ffd6813153e12",
                "97b4991cf3374d8d96e08b38f79c8827",
                "6ff8e898026447a9a3eaa592e94b9384",
            )
            .set_approval_description("security scan failed"),
        )
        .await?;
    show(&server.requests()[0]);
    println!("   answer: success = {:?}\n", refused.success);

    println!("2. ShowProjectJobPermission (CodeArts Build)");
    server.reply(Reply::json(
        200,
        r#"{"result":{"role_id":3,"job_id":"fedcba9876543210fedcba9876543210","is_view":true,
            "is_execute":true,"is_modify":false,"is_delete":false,"is_copy":true,
            "is_forbidden":false,"is_manager":false,"count":1},"status":"success"}"#,
    ));
    let build: BuildClient = signed_client(&server);
    let matrix = build
        .show_project_job_permission(ShowProjectJobPermissionRequest::new(
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
        ))
        .await?;
    show(&server.requests()[1]);
    let result = matrix.result.unwrap_or_default();
    println!(
        "   answer: status = {:?}, role {:?}: view {:?}, execute {:?}, modify {:?}, delete {:?}\n",
        matrix.status,
        result.role_id,
        result.is_view,
        result.is_execute,
        result.is_modify,
        result.is_delete
    );

    println!("3. The same call when the service refuses it");
    server.reply(
        Reply::json(
            404,
            r#"{"error_code":"CB.00000404","error_msg":"job not found"}"#,
        )
        .header("X-Request-Id", "demo-3"),
    );
    let err = build
        .show_project_job_permission(ShowProjectJobPermissionRequest::new("p", "missing"))
        .await
        .unwrap_err();
    println!("   error: {err}");
    println!(
        "   kind {:?}, status {:?}, code {:?}, request id {:?}",
        err.kind(),
        err.http_status_code(),
        err.error_code(),
        err.request_id()
    );
    Ok(())
}

fn show(request: &Recorded) {
    let query = if request.raw_query.is_empty() {
        String::new()
    } else {
        format!("?{}", request.raw_query)
    };
    println!("   sent: {} {}{}", request.method, request.path, query);
    for name in ["host", "content-type", "x-sdk-date", "authorization"] {
        if let Some(value) = request.header(name) {
            println!("         {name}: {value}");
        }
    }
    request.assert_signed_by(codearts_testkit::TEST_AK);
    println!("   signature verified");
}
