//! Operations without state answer with generated, plausible data (not `{}`), change nothing,
//! and say so in the log.

mod common;

use codearts_build::model as bm;
use codearts_build::BuildClient;
use codearts_emulator::fixture::DEMO_PROJECT_ID;
use codearts_emulator::Emulator;
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;

fn is_hex_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn an_operation_without_state_answers_with_every_field_filled() {
    let emu = Emulator::builder().start().await.unwrap();
    let client: PipelineClient = common::aksk(&emu);
    let runs = client
        .list_pipeline_runs(pm::ListPipelineRunsRequest::new(
            DEMO_PROJECT_ID,
            "0123456789abcdef0123456789abcdef",
        ))
        .await
        .unwrap();
    assert_eq!(runs.total, Some(1));
    let list = runs.pipeline_runs.expect("the runs are there");
    assert_eq!(list.len(), 1);
    let run = &list[0];
    assert!(
        is_hex_id(run.pipeline_run_id.as_deref().unwrap()),
        "{run:?}"
    );
    assert_eq!(run.status.as_deref(), Some("COMPLETED"));
    // Epoch milliseconds of 2026-01-01T00:00:00Z, as the service sends times.
    assert_eq!(run.start_time, Some(1_767_225_600_000));

    let entry = emu.log().pop().unwrap();
    assert_eq!(entry.status, 200);
    assert!(!entry.applied, "a sample answer changes nothing");
    assert!(!codearts_emulator::has_state("list_pipeline_runs"));
    emu.shutdown().await;
}

#[tokio::test]
async fn build_samples_use_the_build_service_words_and_leave_errors_out() {
    let emu = Emulator::builder().start().await.unwrap();
    let client: BuildClient = common::aksk(&emu);
    let params = client
        .show_job_system_parameters(bm::ShowJobSystemParametersRequest::new())
        .await
        .unwrap();
    assert_eq!(params.status.as_deref(), Some("SUCCESS"));
    let items = params.result.expect("the result is there");
    assert_eq!(items.len(), 1);
    assert!(items[0].parameter_name.is_some(), "{items:?}");

    let record = client
        .show_record_info(bm::ShowRecordInfoRequest::new(
            "0123456789abcdef0123456789abcdef",
            1,
        ))
        .await
        .unwrap();
    assert_eq!(record.success, Some(true));
    assert!(record.err_code.is_none(), "no error on a success");
    let result = record.result.expect("the result is there");
    assert!(is_hex_id(result.id.as_deref().unwrap()), "{result:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn operations_with_state_are_the_documented_ones() {
    for op in ["create_pipeline_new", "reject_manual_review", "run_job"] {
        assert!(codearts_emulator::has_state(op), "{op}");
    }
    for op in [
        "list_pipeline_runs",
        "show_record_info",
        "no_such_operation",
    ] {
        assert!(!codearts_emulator::has_state(op), "{op}");
    }
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/emulator-operations.md"
    ))
    .unwrap();
    assert!(
        doc.contains("| `reject_manual_review` | POST |"),
        "generated table"
    );
    assert!(doc.contains("The 22 marked **state**"));
}
