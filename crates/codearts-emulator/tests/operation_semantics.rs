//! Per-operation retry semantics against the emulator's faults: a read-only POST is retried
//! like a GET, an operation that runs something is never sent twice once it may have reached
//! the service, and per-call options change that for one call.

use std::time::Duration;

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
use codearts_emulator::{Emulator, EmulatorHandle, Faults, LogEntry};
use codearts_pipeline::model as pm;
use codearts_pipeline::{ErrorKind, PipelineClient};
use codearts_transport::retry::{Backoff, RetryConfig};

/// 503 and 429 (with `Retry-After: 0`) on about half of the attempts of `op`, reproducibly.
fn faults(op: &str) -> Faults {
    [format!("{op}=503:0.3"), format!("{op}=429-0:0.3")]
        .iter()
        .try_fold(Faults::none().seed(10), |f, rule| f.parse_rule(rule))
        .unwrap()
}

fn client(emu: &EmulatorHandle) -> PipelineClient {
    let retry = RetryConfig::default()
        .with_max_attempts(12)
        .with_backoff(
            Backoff::builder()
                .initial(Duration::from_millis(1))
                .max(Duration::from_millis(5))
                .build()
                .unwrap(),
        )
        .with_budget(None);
    PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(Credentials::AkSk(
            AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap(),
        ))
        .retry(retry)
        .build()
        .unwrap()
}

async fn seed_pipeline(client: &PipelineClient) -> String {
    let request = pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
        .set_body(pm::PipelineDTO::new("semantics", false, "{}"));
    client
        .create_pipeline_new(request)
        .await
        .unwrap()
        .pipeline_id
        .unwrap()
}

fn entries<'a>(log: &'a [LogEntry], op: &'a str) -> impl Iterator<Item = &'a LogEntry> + 'a {
    log.iter().filter(move |e| e.op.as_deref() == Some(op))
}

fn faulted(log: &[LogEntry], op: &str, fault: &str) -> usize {
    entries(log, op)
        .filter(|e| e.fault.as_deref().is_some_and(|f| f.starts_with(fault)))
        .count()
}

#[tokio::test]
async fn a_read_only_post_succeeds_through_503s_and_429s() {
    let emu = Emulator::builder()
        .faults(faults("list_pipelines"))
        .start()
        .await
        .unwrap();
    let client = client(&emu);
    seed_pipeline(&client).await;
    emu.clear_log();
    for _ in 0..20 {
        let list = client
            .list_pipelines(
                pm::ListPipelinesRequest::new(DEMO_PROJECT_ID)
                    .set_body(pm::ListPipelineQuery::new()),
            )
            .await
            .expect("list_pipelines is retried until it succeeds");
        assert_eq!(list.pipelines.unwrap_or_default().len(), 1);
    }
    let log = emu.log();
    // The faults did fire, and were answered by retries of the POST.
    assert!(faulted(&log, "list_pipelines", "503") > 0, "{log:?}");
    assert!(faulted(&log, "list_pipelines", "429") > 0, "{log:?}");
    assert!(entries(&log, "list_pipelines").all(|e| e.method == "POST"));
    assert!(entries(&log, "list_pipelines").count() > 20);
}

#[tokio::test]
async fn run_pipeline_under_the_same_faults_is_applied_at_most_once_per_call() {
    let mut faults = faults("run_pipeline");
    for rule in ["run_pipeline=503-after:0.2", "run_pipeline=reset-after:0.1"] {
        faults = faults.parse_rule(rule).unwrap();
    }
    let emu = Emulator::builder().faults(faults).start().await.unwrap();
    let client = client(&emu);
    let pipeline = seed_pipeline(&client).await;
    let mut applied_total = 0;
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..30 {
        emu.clear_log();
        let result = client
            .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &pipeline))
            .await;
        let log = emu.log();
        let sent: Vec<&LogEntry> = entries(&log, "run_pipeline").collect();
        // The request reached the service each time, so it is never sent again.
        assert_eq!(sent.len(), 1, "{sent:?}");
        let applied = sent.iter().filter(|e| e.applied).count();
        assert!(applied <= 1);
        applied_total += applied;
        match result {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(
                    matches!(e.kind(), ErrorKind::Service | ErrorKind::Io),
                    "{e:?}"
                );
                failed += 1;
            }
        }
    }
    assert!(ok > 0 && failed > 0, "ok {ok}, failed {failed}");
    // The state agrees with the log: run numbers go up to the applied count, and no further.
    let run = |number: usize| {
        client.show_pipeline_run_detail(
            pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, &pipeline)
                .set_pipeline_run_number(number.to_string()),
        )
    };
    let last = run(applied_total).await.unwrap();
    assert_eq!(last.run_number, Some(applied_total as i64));
    let err = run(applied_total + 1).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn per_call_options_override_the_marking_against_the_emulator() {
    let emu = Emulator::builder()
        .faults(Faults::none().parse_rule("list_pipelines=503").unwrap())
        .start()
        .await
        .unwrap();
    let client = client(&emu);
    let request =
        || pm::ListPipelinesRequest::new(DEMO_PROJECT_ID).set_body(pm::ListPipelineQuery::new());
    let err = client
        .list_pipelines(request())
        .never_retry()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(entries(&emu.log(), "list_pipelines").count(), 1);
    emu.clear_log();
    client
        .list_pipelines(request())
        .idempotent(false)
        .await
        .unwrap_err();
    assert_eq!(entries(&emu.log(), "list_pipelines").count(), 1);
    emu.clear_log();
    client.list_pipelines(request()).await.unwrap_err();
    assert_eq!(entries(&emu.log(), "list_pipelines").count(), 12);
}
