//! The facades' waiters against the emulator: runs that take N polls, a manual review that is
//! refused, a timeout, cancellation by drop, and 503s absorbed while polling.

use std::time::Duration;

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
use codearts_emulator::{Emulator, EmulatorHandle, Faults, Fixture};
use codearts_pipeline::model as pm;
use codearts_pipeline::waiters::{ReviewWait, RunOutcome, WaitPolicy};
use codearts_pipeline::PipelineClient;
use codearts_transport::retry::RetryConfig;
use futures_util::StreamExt;

const OP: &str = "show_pipeline_run_detail";

async fn emulator(polls: u32, faults: Faults) -> EmulatorHandle {
    Emulator::builder()
        .fixture(Fixture {
            polls_until_done: Some(polls),
            ..Fixture::demo()
        })
        .faults(faults)
        .start()
        .await
        .unwrap()
}

/// A client that never retries on its own: what the waiter absorbs is seen by the waiter.
fn client(emu: &EmulatorHandle) -> PipelineClient {
    PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(Credentials::AkSk(
            AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap(),
        ))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

fn fast() -> WaitPolicy {
    WaitPolicy::default()
        .with_intervals(Duration::from_millis(2), Duration::from_millis(10))
        .with_timeout(Duration::from_secs(10))
}

/// Creates a pipeline (with a manual review when `review`) and starts a run.
async fn start_run(client: &PipelineClient, review: bool) -> (String, String) {
    let definition = if review { "manual review" } else { "{}" };
    let pipeline_id = client
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::PipelineDTO::new("waited", false, definition)),
        )
        .await
        .unwrap()
        .pipeline_id
        .unwrap();
    let run_id = client
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &pipeline_id))
        .await
        .unwrap()
        .pipeline_run_id
        .unwrap();
    (pipeline_id, run_id)
}

fn polls_of(emu: &EmulatorHandle) -> usize {
    emu.log()
        .iter()
        .filter(|e| e.op.as_deref() == Some(OP))
        .count()
}

#[tokio::test]
async fn a_run_completes_after_n_polls() {
    let emu = emulator(5, Faults::none()).await;
    let client = client(&emu);
    let (pipeline, run) = start_run(&client, false).await;
    let outcome = client
        .run_waiter(DEMO_PROJECT_ID, &pipeline, &run)
        .policy(fast())
        .until_ended()
        .await
        .unwrap();
    match &outcome {
        RunOutcome::Succeeded(detail) => assert_eq!(detail.id.as_deref(), Some(run.as_str())),
        other => panic!("{other:?}"),
    }
    assert_eq!(outcome.status(), Some("COMPLETED"));
    assert_eq!(polls_of(&emu), 5);
}

#[tokio::test]
async fn a_run_stops_at_a_review_then_is_refused() {
    let emu = emulator(0, Faults::none()).await;
    let client = client(&emu);
    let (pipeline, run) = start_run(&client, true).await;
    let waiter = client
        .run_waiter(DEMO_PROJECT_ID, &pipeline, &run)
        .policy(fast());
    let review = match waiter.until_review().await.unwrap() {
        ReviewWait::Pending(review) => review,
        other => panic!("{other:?}"),
    };
    assert_eq!(review.detail.status.as_deref(), Some("RUNNING"));
    client
        .reject_manual_review(
            pm::RejectManualReviewRequest::new(
                DEMO_PROJECT_ID,
                &pipeline,
                &run,
                &review.job_run_id,
                &review.step_run_id,
            )
            .set_approval_description("no release notes"),
        )
        .await
        .unwrap();
    let outcome = waiter.until_ended().await.unwrap();
    let RunOutcome::Failed(detail) = &outcome else {
        panic!("{outcome:?}")
    };
    let step = &detail.stages.as_ref().unwrap()[0].jobs.as_ref().unwrap()[0]
        .steps
        .as_ref()
        .unwrap()[0];
    assert_eq!(step.id.as_deref(), Some(review.step_run_id.as_str()));
    let message = step.message.as_deref().unwrap();
    assert!(
        message.contains("refused") && message.contains("no release notes"),
        "{message}"
    );
    // Once decided, there is no review left to wait for: the wait reports the end.
    assert!(matches!(
        waiter.until_review().await.unwrap(),
        ReviewWait::Ended(RunOutcome::Failed(_))
    ));
}

#[tokio::test]
async fn a_run_that_does_not_end_times_out_with_its_last_detail() {
    let emu = emulator(1_000_000, Faults::none()).await;
    let client = client(&emu);
    let (pipeline, run) = start_run(&client, false).await;
    let outcome = client
        .run_waiter(DEMO_PROJECT_ID, &pipeline, &run)
        .policy(WaitPolicy::fixed(
            Duration::from_millis(5),
            Duration::from_millis(150),
        ))
        .until_ended()
        .await
        .unwrap();
    let RunOutcome::TimedOut(Some(detail)) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(detail.status.as_deref(), Some("RUNNING"));
    assert!(polls_of(&emu) >= 2, "{}", polls_of(&emu));
}

#[tokio::test]
async fn dropping_the_wait_stops_polling() {
    let emu = emulator(1_000_000, Faults::none()).await;
    let client = client(&emu);
    let (pipeline, run) = start_run(&client, false).await;
    let waiter = client
        .run_waiter(DEMO_PROJECT_ID, &pipeline, &run)
        .policy(WaitPolicy::fixed(
            Duration::from_millis(5),
            Duration::from_secs(60),
        ));
    let cut = tokio::time::timeout(Duration::from_millis(100), waiter.until_ended()).await;
    assert!(cut.is_err(), "the wait should still be going");
    let after_drop = polls_of(&emu);
    assert!(after_drop >= 2, "{after_drop}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(polls_of(&emu), after_drop, "polling went on after the drop");
}

#[tokio::test]
async fn injected_503s_are_absorbed() {
    let faults = Faults::none()
        .seed(12)
        .parse_rule(&format!("{OP}=503:0.5"))
        .unwrap();
    let emu = emulator(4, faults).await;
    let client = client(&emu);
    let (pipeline, run) = start_run(&client, false).await;
    let outcome = client
        .run_waiter(DEMO_PROJECT_ID, &pipeline, &run)
        .policy(fast())
        .until_ended()
        .await
        .unwrap();
    assert!(matches!(outcome, RunOutcome::Succeeded(_)), "{outcome:?}");
    let log = emu.log();
    let faulted = log
        .iter()
        .filter(|e| e.op.as_deref() == Some(OP) && e.status == 503)
        .count();
    let applied = log
        .iter()
        .filter(|e| e.op.as_deref() == Some(OP) && e.applied)
        .count();
    assert!(faulted >= 1, "no 503 was injected: {log:?}");
    assert_eq!(applied, 4);
}

#[tokio::test]
async fn a_permanent_error_ends_the_wait() {
    let emu = emulator(0, Faults::none()).await;
    let client = client(&emu);
    let (pipeline, _) = start_run(&client, false).await;
    let err = client
        .run_waiter(DEMO_PROJECT_ID, &pipeline, "no-such-run")
        .policy(fast())
        .until_ended()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn the_stream_yields_each_change_once() {
    let emu = emulator(4, Faults::none()).await;
    let client = client(&emu);
    let (pipeline, run) = start_run(&client, false).await;
    let waiter = client
        .run_waiter(DEMO_PROJECT_ID, &pipeline, &run)
        .policy(fast());
    let statuses: Vec<String> = waiter
        .status_changes()
        .map(|d| d.unwrap().status.unwrap())
        .collect()
        .await;
    // Four polls: RUNNING three times, then COMPLETED.
    assert_eq!(statuses, ["RUNNING", "COMPLETED"]);
    assert_eq!(polls_of(&emu), 4);
}
