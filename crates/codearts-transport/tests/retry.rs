//! The retry layer against a scripted client, on tokio's paused clock (no real waiting).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use codearts_transport::http::{Method, StatusCode};
use codearts_transport::retry::{Backoff, NeverRetry, RetryBudget, RetryConfig, RetryLayer};
use codearts_transport::{
    Body, Bytes, Error, ErrorKind, HttpClient, Request, RequestOptions, Response,
};

/// What one attempt does.
#[derive(Debug, Clone, Copy)]
enum Step {
    Status(u16, Option<&'static str>),
    Fail(ErrorKind),
    Hang,
}

#[derive(Debug, Default)]
struct Script {
    steps: Mutex<VecDeque<Step>>,
    attempts: Mutex<Vec<(Method, Option<String>)>>,
}

impl Script {
    fn new(steps: &[Step]) -> Arc<Self> {
        Arc::new(Script {
            steps: Mutex::new(steps.iter().copied().collect()),
            attempts: Mutex::default(),
        })
    }

    fn attempts(&self) -> usize {
        self.attempts.lock().unwrap().len()
    }
}

#[async_trait]
impl HttpClient for Script {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        let marker = request
            .headers()
            .get("x-attempt-marker")
            .map(|v| v.to_str().unwrap().to_owned());
        self.attempts
            .lock()
            .unwrap()
            .push((request.method().clone(), marker));
        let step = self
            .steps
            .lock()
            .unwrap()
            .pop_front()
            .expect("a scripted step");
        let (status, retry_after) = match step {
            Step::Hang => std::future::pending().await,
            Step::Fail(kind) => return Err(Error::new(kind, "scripted failure")),
            Step::Status(status, retry_after) => (status, retry_after),
        };
        let mut response = codearts_transport::http::Response::builder().status(status);
        if let Some(after) = retry_after {
            response = response.header("retry-after", after);
        }
        Ok(response.body(Body::empty()).unwrap())
    }
}

fn request(method: Method) -> Request {
    codearts_transport::http::Request::builder()
        .method(method)
        .uri("http://127.0.0.1:1/v1/x")
        .header("x-attempt-marker", "same")
        .body(Bytes::from_static(b"{}"))
        .unwrap()
}

fn layer(script: &Arc<Script>, config: RetryConfig) -> RetryLayer {
    RetryLayer::new(script.clone(), config)
}

#[tokio::test(start_paused = true)]
async fn idempotent_calls_are_retried_until_success() {
    let script = Script::new(&[
        Step::Status(503, None),
        Step::Status(502, None),
        Step::Status(200, None),
    ]);
    let response = layer(&script, RetryConfig::default())
        .send(request(Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(script.attempts(), 3);
    // Every attempt carried the whole request again.
    assert!(script
        .attempts
        .lock()
        .unwrap()
        .iter()
        .all(|(m, marker)| m == Method::GET && marker.as_deref() == Some("same")));
}

#[tokio::test(start_paused = true)]
async fn non_idempotent_calls_are_not_repeated_after_a_response() {
    for status in [500, 502, 503, 504, 429, 408] {
        let script = Script::new(&[Step::Status(status, None), Step::Status(200, None)]);
        let response = layer(&script, RetryConfig::default())
            .send(request(Method::POST))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(script.attempts(), 1, "POST after {status}");
    }
}

#[tokio::test(start_paused = true)]
async fn any_call_is_retried_when_the_connection_was_never_made() {
    let script = Script::new(&[Step::Fail(ErrorKind::Connect), Step::Status(201, None)]);
    let response = layer(&script, RetryConfig::default())
        .send(request(Method::POST))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(script.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn broken_connections_are_retried_only_for_idempotent_calls() {
    let script = Script::new(&[Step::Fail(ErrorKind::Io), Step::Status(200, None)]);
    assert!(layer(&script, RetryConfig::default())
        .send(request(Method::PUT))
        .await
        .is_ok());
    assert_eq!(script.attempts(), 2);
    let script = Script::new(&[Step::Fail(ErrorKind::Io), Step::Status(200, None)]);
    let err = layer(&script, RetryConfig::default())
        .send(request(Method::POST))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(script.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    for status in [400, 401, 403, 404, 409] {
        let script = Script::new(&[Step::Status(status, None), Step::Status(200, None)]);
        let response = layer(&script, RetryConfig::default())
            .send(request(Method::GET))
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(script.attempts(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn attempts_are_capped_and_the_last_answer_returned() {
    let script = Script::new(&[Step::Status(500, None); 5]);
    let config = RetryConfig::default().with_max_attempts(3);
    let response = layer(&script, config)
        .send(request(Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(script.attempts(), 3);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let script = Script::new(&[Step::Status(429, Some("7")), Step::Status(200, None)]);
    let started = tokio::time::Instant::now();
    layer(&script, RetryConfig::default())
        .send(request(Method::GET))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(7),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn the_budget_stops_retries_during_an_outage_and_refills_on_success() {
    let budget = Arc::new(RetryBudget::new(10, 5));
    let config = RetryConfig::default()
        .with_max_attempts(10)
        .with_budget(Some(budget.clone()));
    let script = Script::new(&[Step::Status(503, None); 8]);
    let response = layer(&script, config.clone())
        .send(request(Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        script.attempts(),
        3,
        "two retries paid for, the third refused"
    );
    assert_eq!(budget.available(), 0);
    let script = Script::new(&[Step::Status(200, None)]);
    layer(&script, config)
        .send(request(Method::GET))
        .await
        .unwrap();
    assert_eq!(budget.available(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_hung_attempt_times_out_and_is_retried() {
    let script = Script::new(&[Step::Hang, Step::Status(200, None)]);
    let config = RetryConfig::default().with_attempt_timeout(Duration::from_secs(2));
    let response = layer(&script, config)
        .send(request(Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(script.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_operation_timeout_bounds_everything() {
    let script = Script::new(&[Step::Hang, Step::Hang, Step::Hang]);
    let config = RetryConfig::default()
        .with_attempt_timeout(Duration::from_secs(2))
        .with_operation_timeout(Duration::from_secs(3))
        .with_backoff(
            Backoff::builder()
                .initial(Duration::from_millis(10))
                .build()
                .unwrap(),
        );
    let started = tokio::time::Instant::now();
    let err = layer(&script, config)
        .send(request(Method::GET))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    // The timer wheel rounds to the millisecond.
    assert!(
        started.elapsed() <= Duration::from_millis(3_002),
        "{:?}",
        started.elapsed()
    );
    assert!(err.message().contains("operation"), "{}", err.message());
    assert_eq!(script.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn retries_can_be_turned_off_for_the_client_or_one_call() {
    let script = Script::new(&[Step::Status(503, None)]);
    layer(&script, RetryConfig::disabled())
        .send(request(Method::GET))
        .await
        .unwrap();
    assert_eq!(script.attempts(), 1);

    let script = Script::new(&[Step::Status(503, None), Step::Status(200, None)]);
    let retrying = layer(&script, RetryConfig::default());
    let response = retrying
        .send(with_options(
            request(Method::GET),
            RequestOptions::default().with_retry(RetryConfig::default().with_policy(NeverRetry)),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(script.attempts(), 1);
}

fn with_options(mut request: Request, options: RequestOptions) -> Request {
    request.extensions_mut().insert(options);
    request
}

#[tokio::test(start_paused = true)]
async fn a_per_call_never_retry_stops_retries_of_a_get() {
    let script = Script::new(&[Step::Status(503, None), Step::Status(200, None)]);
    let response = layer(&script, RetryConfig::default())
        .send(with_options(
            request(Method::GET),
            RequestOptions::never_retry(),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(script.attempts(), 1);
    // The next call without options retries again: nothing leaked from the previous one.
    let script = Script::new(&[Step::Status(503, None), Step::Status(200, None)]);
    let response = layer(&script, RetryConfig::default())
        .send(request(Method::GET))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn per_call_timeouts_override_the_clients() {
    // The client allows 10 s an attempt; the call asks for 1 s, and then gives up at 2.5 s.
    let script = Script::new(&[Step::Hang, Step::Hang, Step::Hang, Step::Hang]);
    let client = RetryConfig::default()
        .with_max_attempts(4)
        .with_attempt_timeout(Duration::from_secs(10))
        .with_backoff(
            Backoff::builder()
                .initial(Duration::from_millis(1))
                .max(Duration::from_millis(1))
                .build()
                .unwrap(),
        );
    let started = tokio::time::Instant::now();
    let err = layer(&script, client.clone())
        .send(with_options(
            request(Method::GET),
            RequestOptions::default()
                .with_attempt_timeout(Duration::from_secs(1))
                .with_operation_timeout(Duration::from_millis(2_500)),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("operation"), "{}", err.message());
    assert_eq!(script.attempts(), 3, "1 s + 1 s + the last 0.5 s");
    assert!(started.elapsed() <= Duration::from_millis(2_502));

    // A per-call retry configuration without time limits keeps the client's.
    let script = Script::new(&[Step::Hang, Step::Status(200, None)]);
    let started = tokio::time::Instant::now();
    let response = layer(&script, client)
        .send(with_options(
            request(Method::GET),
            RequestOptions::default().with_retry(RetryConfig::default().with_max_attempts(2)),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_secs(10));
}

#[test]
fn backoff_grows_and_is_capped_and_validated() {
    let b = Backoff::builder()
        .initial(Duration::from_millis(100))
        .max(Duration::from_secs(1))
        .multiplier(3.0)
        .build()
        .unwrap();
    assert_eq!(b.ceiling(1), Duration::from_millis(100));
    assert_eq!(b.ceiling(2), Duration::from_millis(300));
    assert_eq!(b.ceiling(3), Duration::from_millis(900));
    assert_eq!(b.ceiling(4), Duration::from_secs(1));
    assert_eq!(b.ceiling(1000), Duration::from_secs(1));
    assert_eq!(b.delay(2, 0.5), Duration::from_millis(150));
    assert!(Backoff::builder().initial(Duration::ZERO).build().is_err());
    assert!(Backoff::builder()
        .initial(Duration::from_secs(5))
        .max(Duration::from_secs(1))
        .build()
        .is_err());
    assert!(Backoff::builder().multiplier(0.5).build().is_err());
    assert!(Backoff::builder().multiplier(f64::NAN).build().is_err());
}

fn marked(method: Method, idempotent: bool) -> Request {
    let mut request = request(method);
    request
        .extensions_mut()
        .insert(codearts_transport::options::Idempotency(idempotent));
    request
}

#[tokio::test(start_paused = true)]
async fn a_post_marked_idempotent_is_retried_on_503_and_429() {
    let script = Script::new(&[
        Step::Status(503, None),
        Step::Status(429, None),
        Step::Status(200, None),
    ]);
    let response = layer(&script, RetryConfig::default())
        .send(marked(Method::POST, true))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(script.attempts(), 3);
}

#[tokio::test(start_paused = true)]
async fn operations_marked_unsafe_are_not_repeated_once_sent_whatever_the_method() {
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let script = Script::new(&[Step::Status(503, None), Step::Status(200, None)]);
        let response = layer(&script, RetryConfig::default())
            .send(marked(method.clone(), false))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{method}"
        );
        assert_eq!(script.attempts(), 1, "{method}");
        let script = Script::new(&[Step::Fail(ErrorKind::Io), Step::Status(200, None)]);
        let err = layer(&script, RetryConfig::default())
            .send(marked(method.clone(), false))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert_eq!(script.attempts(), 1, "{method}");
    }
    // Never sent, so never applied: a connection failure is retried even for unsafe calls.
    let script = Script::new(&[Step::Fail(ErrorKind::Connect), Step::Status(200, None)]);
    let response = layer(&script, RetryConfig::default())
        .send(marked(Method::POST, false))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(script.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_per_call_override_beats_the_marking() {
    // idempotent(true) lets an unsafe-marked POST be retried ...
    let script = Script::new(&[Step::Status(503, None), Step::Status(200, None)]);
    let response = layer(&script, RetryConfig::default())
        .send(with_options(
            marked(Method::POST, false),
            RequestOptions::default().with_idempotent(true),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(script.attempts(), 2);
    // ... and an unmarked one too.
    let script = Script::new(&[Step::Status(502, None), Step::Status(200, None)]);
    let response = layer(&script, RetryConfig::default())
        .send(with_options(
            request(Method::POST),
            RequestOptions::default().with_idempotent(true),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // idempotent(false) stops retries of a GET.
    let script = Script::new(&[Step::Status(503, None), Step::Status(200, None)]);
    let response = layer(&script, RetryConfig::default())
        .send(with_options(
            request(Method::GET),
            RequestOptions::default().with_idempotent(false),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(script.attempts(), 1);
}

#[test]
fn the_context_falls_back_to_the_method_when_unmarked() {
    use codearts_transport::retry::RetryContext;
    assert!(RetryContext::new(&Method::GET, None, 1).is_idempotent());
    assert!(!RetryContext::new(&Method::POST, None, 1).is_idempotent());
    assert!(RetryContext::new(&Method::POST, Some(true), 1).is_idempotent());
    assert!(!RetryContext::new(&Method::GET, Some(false), 1).is_idempotent());
}
