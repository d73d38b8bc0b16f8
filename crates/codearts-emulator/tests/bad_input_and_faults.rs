//! Bad input gets a 4xx in the service error shape (never a 5xx); injected faults behave and
//! are logged.

mod common;

use codearts_build::model as bm;
use codearts_build::BuildClient;
use codearts_emulator::fixture::DEMO_PROJECT_ID;
use codearts_emulator::{Emulator, EmulatorHandle, Faults};
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;
use codearts_transport::ErrorKind;

/// Sends a signed raw request through the SDK's auth layer.
async fn raw(
    emu: &EmulatorHandle,
    method: &str,
    path_query: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    use codearts_auth::{sign, AkSkCredentials, SigningRequest};
    let mut request = http::Request::builder()
        .method(method)
        .uri(format!("{}{path_query}", emu.url()))
        .header("host", emu.addr().to_string())
        .header("content-type", "application/json")
        .body(bytes::Bytes::copy_from_slice(body.as_bytes()))
        .unwrap();
    let creds = AkSkCredentials::new(
        codearts_emulator::fixture::DEMO_AK,
        codearts_emulator::fixture::DEMO_SK,
    )
    .unwrap();
    sign(
        &SigningRequest::from_request(&request),
        &creds,
        std::time::SystemTime::now(),
    )
    .unwrap()
    .apply(request.headers_mut());
    let mut b = reqwest::Client::new()
        .request(method.parse().unwrap(), request.uri().to_string())
        .body(body.to_owned());
    for (k, v) in request.headers() {
        b = b.header(k.as_str(), v.to_str().unwrap());
    }
    let resp = b.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn bad_input_is_a_4xx_in_the_service_shape() {
    let emu = Emulator::builder().start().await.unwrap();
    let p = DEMO_PROJECT_ID;
    let cases = [
        (
            "GET",
            format!("/v1/job/{p}/list?page_size=10"),
            "",
            400,
            "page_index",
        ),
        (
            "GET",
            format!("/v1/job/{p}/list?page_index=x&page_size=10"),
            "",
            400,
            "page_index",
        ),
        ("GET", "/v3/jobs/j1/abc/stop".to_owned(), "", 405, ""),
        (
            "POST",
            "/v3/jobs/j1/abc/stop".to_owned(),
            "",
            400,
            "build_no",
        ),
        (
            "POST",
            format!("/v5/{p}/api/pipelines"),
            "{not json",
            400,
            "JSON",
        ),
        (
            "POST",
            format!("/v5/{p}/api/pipelines"),
            r#"{"name": 5}"#,
            400,
            "name",
        ),
        ("POST", format!("/v5/{p}/api/pipelines"), "", 400, "body"),
        (
            "POST",
            "/v3/jobs/create".to_owned(),
            r#"{"job_name":"x"}"#,
            400,
            "project_id",
        ),
        ("GET", "/v9/nowhere".to_owned(), "", 404, "/v9/nowhere"),
        (
            "GET",
            format!("/v5/{p}/api/pipelines/nope"),
            "",
            404,
            "nope",
        ),
        (
            "GET",
            format!("/v1/job/permission?project_id={p}"),
            "",
            400,
            "job_id",
        ),
        (
            "POST",
            "/v1/job/permissions/batch".to_owned(),
            "[1,2]",
            400,
            "body",
        ),
    ];
    for (method, path, body, want, mention) in cases {
        let (status, v) = raw(&emu, method, &path, body).await;
        assert_eq!(status, want, "{method} {path}: {v}");
        let code = v["error_code"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: {v}"));
        let msg = v["error_msg"].as_str().unwrap();
        assert!(!code.is_empty());
        assert!(
            msg.contains(mention),
            "{path}: `{msg}` should mention `{mention}`"
        );
    }
    assert!(emu.log().iter().all(|e| e.status < 500));
}

#[tokio::test]
async fn faults_fire_deterministically_and_are_logged() {
    let faults = Faults::none()
        .seed(42)
        .parse_rule("create_pipeline_new=503")
        .unwrap()
        .parse_rule("run_pipeline=502-after")
        .unwrap()
        .parse_rule("/v3/jobs/create=429-3")
        .unwrap()
        .parse_rule("check_job_internal=malformed")
        .unwrap();
    let emu = Emulator::builder().faults(faults).start().await.unwrap();
    let client: PipelineClient = common::aksk(&emu);
    let err = client
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::PipelineDTO::new("x", false, "{}")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.http_status_code(), Some(503));
    let entry = emu.log().pop().unwrap();
    assert_eq!(entry.fault.as_deref(), Some("503"));
    assert!(!entry.applied);

    let build: BuildClient = common::aksk(&emu);
    let err = build
        .create_build_job(bm::CreateBuildJobRequest::new().set_body(
            bm::CreateBuildJobRequestBody::new("x86", DEMO_PROJECT_ID, "j", vec![]),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.http_status_code(), Some(429));
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(3)));
    let err = build
        .check_job_internal(bm::CheckJobInternalRequest::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn a_lost_answer_still_applies_the_operation() {
    let faults = Faults::none().parse_rule("run_pipeline=502-after").unwrap();
    let emu = Emulator::builder().faults(faults).start().await.unwrap();
    let client: PipelineClient = common::aksk(&emu);
    let id = client
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::PipelineDTO::new("x", false, "{}")),
        )
        .await
        .unwrap()
        .pipeline_id
        .unwrap();
    let err = client
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &id))
        .await
        .unwrap_err();
    assert_eq!(err.http_status_code(), Some(502));
    let entry = emu.log().pop().unwrap();
    assert!(
        entry.applied,
        "the run exists although the caller saw a 502"
    );
    let detail = client
        .show_pipeline_run_detail(pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, &id))
        .await
        .unwrap();
    assert_eq!(detail.run_number, Some(1));
}

#[tokio::test]
async fn resets_and_truncations_break_the_connection() {
    let faults = Faults::none()
        .parse_rule("show_job_status=reset")
        .unwrap()
        .parse_rule("check_job_internal=truncate")
        .unwrap()
        .parse_rule("/v3/jobs/slow=latency-200ms")
        .unwrap();
    let emu = Emulator::builder().faults(faults).start().await.unwrap();
    let build: BuildClient = common::aksk(&emu);
    let err = build
        .show_job_status(bm::ShowJobStatusRequest::new("j"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Io | ErrorKind::Connect),
        "{err:?}"
    );
    let err = build
        .check_job_internal(bm::CheckJobInternalRequest::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Io | ErrorKind::Decode),
        "{err:?}"
    );
    assert_eq!(emu.log().pop().unwrap().fault.as_deref(), Some("truncate"));
    let started = std::time::Instant::now();
    let _ = build
        .list_job_config(bm::ListJobConfigRequest::new("slow"))
        .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
}
