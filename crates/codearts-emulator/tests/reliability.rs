//! Reliability against the emulator's fault injection: a fault soak, load, cancellation, bad
//! responses and path safety.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
use codearts_emulator::{Emulator, EmulatorHandle, Faults};
use codearts_pipeline::model as pm;
use codearts_pipeline::{ErrorKind, PipelineClient};
use codearts_transport::retry::{Backoff, RetryBudget, RetryConfig};
use codearts_transport::ReqwestClient;
use futures_util::{stream, StreamExt};

fn client(emu: &EmulatorHandle, http: &ReqwestClient, retry: RetryConfig) -> PipelineClient {
    PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(Credentials::AkSk(
            AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap(),
        ))
        .http_client(Arc::new(http.clone()))
        .retry(retry)
        .build()
        .unwrap()
}

fn create(name: &str) -> pm::CreatePipelineNewRequest {
    pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
        .set_body(pm::PipelineDTO::new(name, false, "{}"))
}

/// Creates a pipeline, repeating (as a caller would) until the service accepts it.
async fn seed_pipeline(client: &PipelineClient) -> String {
    for attempt in 0..50 {
        if let Ok(created) = client
            .create_pipeline_new(create(&format!("seed-{attempt}")))
            .await
        {
            return created.pipeline_id.unwrap();
        }
    }
    panic!("no pipeline could be created");
}

#[derive(Debug, Default)]
struct Tally {
    get_ok: usize,
    get_err: HashMap<String, usize>,
    post_ok: usize,
    post_err: HashMap<String, usize>,
}

/// 10,000 calls through one client, one attempt in five faulted: no panic, every idempotent
/// call succeeds or ends in a typed error, and no non-idempotent call is applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_soak_ten_thousand_calls() {
    const CALLS: usize = 10_000;
    let faults = [
        "show_pipeline_detail=503:0.07",
        "show_pipeline_detail=429-0:0.04",
        "show_pipeline_detail=reset:0.04",
        "show_pipeline_detail=latency-1500ms:0.03",
        "show_pipeline_detail=502:0.03",
        "show_pipeline_detail=truncate:0.02",
        "show_pipeline_detail=malformed:0.005",
        "create_pipeline_new=503:0.05",
        "create_pipeline_new=503-after:0.05",
        "create_pipeline_new=reset:0.05",
        "create_pipeline_new=reset-after:0.04",
        "create_pipeline_new=latency-1500ms:0.03",
        "create_pipeline_new=truncate:0.02",
    ]
    .iter()
    .try_fold(Faults::none().seed(2026), |f, rule| f.parse_rule(rule))
    .unwrap();
    // The checks below read every attempt back from the log: keep more than the default.
    let emu = Emulator::builder()
        .faults(faults)
        .log_capacity(100_000)
        .start()
        .await
        .unwrap();
    let http = ReqwestClient::new().unwrap();
    let retry = RetryConfig::default()
        .with_max_attempts(6)
        .with_attempt_timeout(Duration::from_millis(750))
        .with_backoff(
            Backoff::builder()
                .initial(Duration::from_millis(2))
                .max(Duration::from_millis(20))
                .build()
                .unwrap(),
        )
        .with_budget(Some(Arc::new(RetryBudget::new(1_000, 1))));
    let client = client(&emu, &http, retry);
    let seed = seed_pipeline(&client).await;
    emu.clear_log();

    let tally = Arc::new(std::sync::Mutex::new(Tally::default()));
    let creates = stream::iter(0..CALLS)
        .map(|i| {
            let client = client.clone();
            let seed = seed.clone();
            let tally = Arc::clone(&tally);
            async move {
                if i % 10 < 7 {
                    let result = client
                        .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(
                            DEMO_PROJECT_ID,
                            seed.clone(),
                        ))
                        .await;
                    let mut t = tally.lock().unwrap();
                    match result {
                        Ok(detail) => {
                            assert_eq!(detail.id.as_deref(), Some(seed.as_str()));
                            t.get_ok += 1;
                        }
                        Err(e) => *t.get_err.entry(format!("{:?}", e.kind())).or_default() += 1,
                    }
                    0
                } else {
                    let result = client
                        .create_pipeline_new(create(&format!("soak-{i}")))
                        .await;
                    let mut t = tally.lock().unwrap();
                    match result {
                        Ok(_) => t.post_ok += 1,
                        Err(e) => *t.post_err.entry(format!("{:?}", e.kind())).or_default() += 1,
                    }
                    1
                }
            }
        })
        .buffer_unordered(64)
        .fold(0usize, |n, created| async move { n + created })
        .await;

    // Requests the client gave up on may still be sleeping in the emulator: let them finish.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    let gets = CALLS - creates;
    let get_errors: usize = tally.get_err.values().sum();
    let log = emu.log();
    let faulted = log.iter().filter(|e| e.fault.is_some()).count();
    eprintln!(
        "soak: {CALLS} calls, {} attempts reached the emulator, {faulted} faulted ({:.1}%); \
         GET {}/{gets} ok, errors {:?}; POST {}/{creates} ok, errors {:?}; client in flight {}",
        log.len(),
        100.0 * faulted as f64 / log.len() as f64,
        tally.get_ok,
        tally.get_err,
        tally.post_ok,
        tally.post_err,
        http.in_flight()
    );
    // The rules fault about 22% of GET and 25% of POST attempts; retried attempts dilute that
    // to about 20%. The check is that the soak really ran under heavy faults, with a margin
    // for the scheduling of 64 concurrent calls, not an estimate of the rate.
    assert!(
        faulted * 100 >= log.len() * 15,
        "at least one attempt in seven is faulted"
    );
    assert!(
        tally.get_ok * 100 >= gets * 98,
        "idempotent calls ride out the faults: {tally:?}"
    );
    for kind in tally.get_err.keys().chain(tally.post_err.keys()) {
        assert!(
            ["Service", "Timeout", "Io", "Decode"].contains(&kind.as_str()),
            "an unexpected error kind: {kind}"
        );
    }
    assert_eq!(
        tally.post_ok + tally.post_err.values().sum::<usize>(),
        creates
    );

    // The emulator saw each create exactly once: the client never repeats a POST that may
    // have arrived, and no create was applied twice.
    // A request the client timed out on may have been dropped by the server unlogged, so the
    // log may hold fewer, never more, creates than calls.
    let create_requests: Vec<_> = log
        .iter()
        .filter(|e| e.op.as_deref() == Some("create_pipeline_new"))
        .collect();
    let post_timeouts = tally.post_err.get("Timeout").copied().unwrap_or(0);
    assert!(
        create_requests.len() <= creates,
        "no non-idempotent call was sent twice"
    );
    assert!(
        create_requests.len() + post_timeouts >= creates,
        "every other call reached the emulator once"
    );
    let applied = create_requests.iter().filter(|e| e.applied).count();
    assert!(
        applied >= tally.post_ok,
        "every acknowledged create was applied"
    );

    let lister = PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(Credentials::AkSk(
            AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap(),
        ))
        .build()
        .unwrap();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut listed = lister.list_pipelines_stream(
        pm::ListPipelinesRequest::new(DEMO_PROJECT_ID)
            .set_body(pm::ListPipelineQuery::new().set_limit(100)),
    );
    while let Some(pipeline) = listed.next().await {
        *names
            .entry(pipeline.unwrap().name.unwrap_or_default())
            .or_default() += 1;
    }
    let soak_names = names.iter().filter(|(n, _)| n.starts_with("soak-")).count();
    assert_eq!(
        soak_names, applied,
        "the state holds one pipeline per applied create"
    );
    assert!(
        names.values().all(|&n| n == 1),
        "no pipeline was created twice"
    );
    assert_eq!(http.in_flight(), 0, "no request slot leaked");
    assert!(
        get_errors * 50 <= gets,
        "{get_errors} idempotent calls failed"
    );
}

/// 1,000 calls at once through one client: all succeed and the connections stay bounded by
/// the client's limit on requests in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_with_bounded_connections() {
    let emu = Emulator::builder().start().await.unwrap();
    let http = ReqwestClient::builder()
        .max_in_flight(32)
        .pool_max_idle_per_host(32)
        .build()
        .unwrap();
    let client = client(&emu, &http, RetryConfig::default());
    let seed = seed_pipeline(&client).await;
    let calls = (0..1_000).map(|_| {
        let client = client.clone();
        let seed = seed.clone();
        tokio::spawn(async move {
            client
                .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, seed))
                .await
        })
    });
    let results = futures_util::future::join_all(calls).await;
    let ok = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let stats = emu.connections();
    eprintln!(
        "load: {ok}/1000 ok; connections accepted {}, at most {} open at once",
        stats.accepted, stats.peak_open
    );
    assert_eq!(ok, 1_000);
    // Busy connections are bounded by the requests in flight; a connection just released may
    // linger a moment before it is pooled, and at most the pool's idle limit are kept.
    assert!(
        stats.peak_open <= 32 + 32,
        "connections stayed bounded: {stats:?}"
    );
    assert!(
        stats.accepted <= 64,
        "connections are reused, not one per call: {stats:?}"
    );
    assert_eq!(http.in_flight(), 0);
}

/// Dropping a call's future mid-flight frees its slot and leaves the client usable.
#[tokio::test]
async fn a_dropped_call_leaks_nothing() {
    let faults = Faults::none()
        .parse_rule("show_pipeline_detail=latency-5000ms")
        .unwrap();
    let emu = Emulator::builder().faults(faults).start().await.unwrap();
    let http = ReqwestClient::new().unwrap();
    let client = client(&emu, &http, RetryConfig::disabled());
    let seed = seed_pipeline(&client).await;
    let slow = client.show_pipeline_detail(pm::ShowPipelineDetailRequest::new(
        DEMO_PROJECT_ID,
        seed.clone(),
    ));
    let outcome = tokio::time::timeout(Duration::from_millis(100), slow).await;
    assert!(
        outcome.is_err(),
        "the slow call was still running when it was dropped"
    );
    assert_eq!(http.in_flight(), 0, "dropping the call released its slot");
    let again = client
        .list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID))
        .await
        .unwrap();
    assert!(again
        .pipelines
        .unwrap_or_default()
        .iter()
        .any(|p| p.pipeline_id.as_deref() == Some(seed.as_str())));
}

/// Truncated and malformed success bodies become typed errors that keep the status, the
/// request id and a snippet; never a panic.
#[tokio::test]
async fn bad_bodies_are_typed_errors() {
    let faults = Faults::none()
        .parse_rule("show_pipeline_detail=malformed")
        .unwrap()
        .parse_rule("list_pipelines=truncate")
        .unwrap();
    let emu = Emulator::builder().faults(faults).start().await.unwrap();
    let http = ReqwestClient::new().unwrap();
    let client = client(&emu, &http, RetryConfig::disabled());
    let seed = seed_pipeline(&client).await;
    let err = client
        .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, seed))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.http_status_code(), Some(200));
    assert!(err.request_id().is_some(), "{err:?}");
    assert!(err.body_snippet().is_some_and(|s| !s.is_empty()), "{err:?}");

    let err = client
        .list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID))
        .await
        .unwrap_err();
    // Cut before or after the head: a broken connection, or a success whose body is short.
    assert!(
        matches!(err.kind(), ErrorKind::Io | ErrorKind::Decode),
        "{err:?}"
    );
    assert!(
        matches!(err.http_status_code(), None | Some(200)),
        "{err:?}"
    );
    assert_eq!(http.in_flight(), 0);
}

/// Ids with reserved characters reach the intended operation with the intended value.
#[tokio::test]
async fn awkward_ids_stay_in_their_path_segment() {
    let emu = Emulator::builder().start().await.unwrap();
    let http = ReqwestClient::new().unwrap();
    let client = client(&emu, &http, RetryConfig::disabled());
    for id in [
        "a/b",
        "../x",
        "a?b=c",
        "a#b",
        "%2F",
        "a%2Fb",
        "流水线",
        "a b+c",
        "...",
    ] {
        emu.clear_log();
        let err = client
            .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, id))
            .await
            .unwrap_err();
        assert_eq!(err.http_status_code(), Some(404), "{id}: {err}");
        assert_eq!(
            err.error_msg(),
            Some(format!("pipeline `{id}` does not exist").as_str()),
            "{id}"
        );
        let log = emu.log();
        assert_eq!(log.len(), 1, "{id}");
        assert_eq!(
            log[0].op.as_deref(),
            Some("show_pipeline_detail"),
            "{id}: routed as {:?}",
            log[0]
        );
    }
    for id in ["..", ".", ""] {
        let err = client
            .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, id))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidRequest,
            "{id:?} is refused before sending"
        );
    }
}
