//! Retries: a policy that says what is safe to repeat, jittered exponential backoff, a retry
//! budget so an outage does not multiply load, and attempt and operation time limits.
//!
//! By default an attempt may take [`DEFAULT_ATTEMPT_TIMEOUT`] (60 s) to bring the response
//! headers and a whole call [`DEFAULT_OPERATION_TIMEOUT`] (180 s), retries, waits and reading
//! the response body included: the layer hands back a body that fails with
//! [`ErrorKind::Timeout`] once the operation deadline has passed, so a server trickling bytes
//! cannot hold a call forever.
//!
//! [`RetryLayer`] wraps the layers that authenticate and send, so every attempt is signed
//! afresh. The strict default ([`StandardRetryPolicy`]) repeats transport failures and the
//! statuses 408, 429, 500, 502, 503, 504 only for operations marked safe to repeat (in the spec,
//! or per call; unmarked requests by method: GET, HEAD, PUT, DELETE, OPTIONS), and any
//! operation when the connection was never made.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use async_trait::async_trait;
use futures_util::StreamExt;
use http::{HeaderMap, Method, StatusCode};

use crate::client::clone_request;
use crate::{
    Body, Error, ErrorKind, HttpClient, Request, RequestOptions, Response, SharedHttpClient,
};

/// What an attempt ended with.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A response with a non-success status.
    Status(StatusCode, &'a HeaderMap),
    /// No response.
    Error(&'a Error),
}

/// What a policy knows of the call whose attempt failed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RetryContext<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// Whether the operation is safe to repeat: the per-call override, else the spec's marking;
    /// `None` for a request that carries neither (a raw request).
    pub idempotent: Option<bool>,
    /// The attempt that just failed (1 for the first).
    pub attempt: u32,
}

impl<'a> RetryContext<'a> {
    /// A context for `method`, with its marking and attempt number.
    pub fn new(method: &'a Method, idempotent: Option<bool>, attempt: u32) -> Self {
        RetryContext {
            method,
            idempotent,
            attempt,
        }
    }

    /// Whether the call may be repeated after it may have reached the service: its marking,
    /// or, for an unmarked request, its method ([`is_idempotent`]).
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
            .unwrap_or_else(|| is_idempotent(self.method))
    }
}

/// Decides which failed attempts may be repeated.
pub trait RetryPolicy: Send + Sync + fmt::Debug {
    /// True when the attempt described by `context` that ended with `outcome` may be sent again.
    fn should_retry(&self, context: &RetryContext<'_>, outcome: Outcome<'_>) -> bool;
}

/// The strict default: transient failures of operations marked safe to repeat (read-only
/// ones, whatever their method), and connection failures of any call (the request never left,
/// so it cannot have been applied). Unmarked requests are judged by their method.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardRetryPolicy;

/// True for the methods that may be repeated without changing the result.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// True for the statuses that say "try again later".
pub fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

impl RetryPolicy for StandardRetryPolicy {
    fn should_retry(&self, context: &RetryContext<'_>, outcome: Outcome<'_>) -> bool {
        match outcome {
            Outcome::Error(error) if error.kind() == ErrorKind::Connect => true,
            Outcome::Error(error) => {
                matches!(error.kind(), ErrorKind::Timeout | ErrorKind::Io)
                    && context.is_idempotent()
            }
            Outcome::Status(status, _) => is_transient_status(status) && context.is_idempotent(),
        }
    }
}

/// Retries nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverRetry;

impl RetryPolicy for NeverRetry {
    fn should_retry(&self, _: &RetryContext<'_>, _: Outcome<'_>) -> bool {
        false
    }
}

/// Jittered exponential backoff: attempt `n` waits a random time up to
/// `min(max, initial * multiplier^(n-1))` ("full jitter").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    multiplier: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(20),
            multiplier: 2.0,
        }
    }
}

impl Backoff {
    /// A builder starting from the defaults (200 ms, doubling, at most 20 s).
    pub fn builder() -> BackoffBuilder {
        BackoffBuilder(Backoff::default())
    }

    /// The longest wait before attempt `retry` (1 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = self.multiplier.powi(retry.saturating_sub(1).min(64) as i32);
        let secs = (self.initial.as_secs_f64() * factor).min(self.max.as_secs_f64());
        Duration::from_secs_f64(secs)
    }

    /// The wait before attempt `retry`, with `unit` a random number in `[0, 1)`.
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        self.ceiling(retry).mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// Builds a [`Backoff`], checking its values.
#[derive(Debug, Clone, Copy)]
pub struct BackoffBuilder(Backoff);

impl BackoffBuilder {
    /// The ceiling of the first wait.
    pub fn initial(mut self, initial: Duration) -> Self {
        self.0.initial = initial;
        self
    }

    /// The largest ceiling.
    pub fn max(mut self, max: Duration) -> Self {
        self.0.max = max;
        self
    }

    /// How much the ceiling grows per retry.
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.0.multiplier = multiplier;
        self
    }

    /// The backoff; [`ErrorKind::Config`] if `initial` is zero, `max` is below `initial`, or
    /// the multiplier is below 1 or not finite.
    pub fn build(self) -> Result<Backoff, Error> {
        let b = self.0;
        if b.initial.is_zero() {
            return Err(Error::config(
                "backoff: the initial delay must be above zero",
            ));
        }
        if b.max < b.initial {
            return Err(Error::config(
                "backoff: the maximum delay is below the initial delay",
            ));
        }
        if !b.multiplier.is_finite() || b.multiplier < 1.0 {
            return Err(Error::config(
                "backoff: the multiplier must be a finite number >= 1",
            ));
        }
        Ok(b)
    }
}

/// A token bucket shared by all calls of a client: each retry spends tokens, each success
/// earns one back. When an outage empties it, calls fail fast instead of multiplying load.
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    tokens: Mutex<u32>,
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens; a retry costs `retry_cost` (twice that after a
    /// time-out, which ties up more of the service).
    pub fn new(capacity: u32, retry_cost: u32) -> Self {
        RetryBudget {
            capacity,
            retry_cost,
            timeout_cost: retry_cost.saturating_mul(2),
            tokens: Mutex::new(capacity),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u32> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the tokens for a retry; false when the bucket cannot pay.
    pub fn try_spend(&self, after_timeout: bool) -> bool {
        let cost = if after_timeout {
            self.timeout_cost
        } else {
            self.retry_cost
        };
        let mut tokens = self.lock();
        if *tokens >= cost {
            *tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Puts one token back after a success.
    pub fn refund(&self) {
        let mut tokens = self.lock();
        *tokens = (*tokens + 1).min(self.capacity);
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self.lock()
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new(500, 5)
    }
}

/// How a client retries.
#[derive(Debug, Clone)]
pub struct RetryConfig {
    /// Which failures may be repeated.
    pub policy: Arc<dyn RetryPolicy>,
    /// How long to wait between attempts.
    pub backoff: Backoff,
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The limit of one attempt, response headers included; `None` for none.
    pub attempt_timeout: Option<Duration>,
    /// The limit of the whole call, waits and reading the response body included; `None` for
    /// none. A limit too large to add to the clock means none.
    pub operation_timeout: Option<Duration>,
    /// The shared budget; `None` for unlimited retries within `max_attempts`.
    pub budget: Option<Arc<RetryBudget>>,
}

/// The default limit of one attempt, response headers included (60 s).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// The default limit of a whole call: attempts, waits and reading the body (180 s).
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(180);

impl Default for RetryConfig {
    /// The strict policy, three attempts, the default backoff and budget, and the default
    /// time limits ([`DEFAULT_ATTEMPT_TIMEOUT`], [`DEFAULT_OPERATION_TIMEOUT`]).
    fn default() -> Self {
        RetryConfig {
            policy: Arc::new(StandardRetryPolicy),
            backoff: Backoff::default(),
            max_attempts: 3,
            attempt_timeout: Some(DEFAULT_ATTEMPT_TIMEOUT),
            operation_timeout: Some(DEFAULT_OPERATION_TIMEOUT),
            budget: Some(Arc::new(RetryBudget::default())),
        }
    }
}

impl RetryConfig {
    /// One attempt, never repeated; time limits still apply.
    pub fn disabled() -> Self {
        RetryConfig {
            policy: Arc::new(NeverRetry),
            max_attempts: 1,
            budget: None,
            ..RetryConfig::default()
        }
    }

    /// Sets the number of attempts in all (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the backoff.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the policy.
    pub fn with_policy(mut self, policy: impl RetryPolicy + 'static) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// Sets the limit of one attempt.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Sets the limit of the whole call, reading the body included.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Removes both time limits (attempt and operation).
    pub fn without_timeouts(mut self) -> Self {
        self.attempt_timeout = None;
        self.operation_timeout = None;
        self
    }

    /// Sets (or, with `None`, removes) the retry budget.
    pub fn with_budget(mut self, budget: Option<Arc<RetryBudget>>) -> Self {
        self.budget = budget;
        self
    }
}

impl PartialEq for RetryConfig {
    /// Policies and budgets are shared objects: equal when they are the same object.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.policy, &other.policy)
            && self.backoff == other.backoff
            && self.max_attempts == other.max_attempts
            && self.attempt_timeout == other.attempt_timeout
            && self.operation_timeout == other.operation_timeout
            && match (&self.budget, &other.budget) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (a, b) => a.is_none() && b.is_none(),
            }
    }
}

/// A layer that repeats failed attempts as its [`RetryConfig`] allows.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    inner: SharedHttpClient,
    config: RetryConfig,
    seed: Arc<AtomicU64>,
}

impl RetryLayer {
    /// Wraps `inner` (which should authenticate: each attempt passes through it again).
    pub fn new(inner: SharedHttpClient, config: RetryConfig) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64);
        RetryLayer {
            inner,
            config,
            seed: Arc::new(AtomicU64::new(seed)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RetryConfig {
        &self.config
    }

    /// A number in `[0, 1)` for jitter (splitmix64; no need for cryptographic randomness).
    fn unit(&self) -> f64 {
        let mut z = self
            .seed
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn timed_out(what: &str, limit: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("the {what} took longer than {} ms", limit.as_millis()),
    )
}

/// `response` with a body that fails with [`ErrorKind::Timeout`] when read past `deadline`.
fn body_until(response: Response, deadline: Instant, limit: Duration) -> Response {
    if !response.body().is_stream() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let stream = futures_util::stream::unfold(Some(body.into_stream()), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(stream))),
            Ok(None) => None,
            // One error, then the end: the stream (and its connection) is dropped.
            Err(_) => Some((Err(timed_out("operation", limit)), None)),
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

#[async_trait]
impl HttpClient for RetryLayer {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        // Per-call options ride in the request; everything unset falls back to the client's
        // configuration, borrowed rather than copied.
        let options = RequestOptions::of(&request);
        let config = options
            .and_then(RequestOptions::retry)
            .unwrap_or(&self.config);
        let attempt_timeout = options
            .and_then(RequestOptions::attempt_timeout)
            .or(config.attempt_timeout)
            .or(self.config.attempt_timeout);
        let operation_timeout = options
            .and_then(RequestOptions::operation_timeout)
            .or(config.operation_timeout)
            .or(self.config.operation_timeout);
        let started = Instant::now();
        // A limit too far away to put on the clock is no limit.
        let deadline = operation_timeout.and_then(|t| started.checked_add(t));
        let method = request.method().clone();
        let idempotent = crate::options::idempotency(&request);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining == Some(Duration::ZERO) {
                return Err(timed_out(
                    "operation",
                    operation_timeout.unwrap_or_default(),
                ));
            }
            let limit = match (attempt_timeout, remaining) {
                (Some(a), Some(r)) => Some(a.min(r)),
                (a, r) => a.or(r),
            };
            let send = self.inner.send(clone_request(&request));
            let result = match limit {
                Some(limit) => match tokio::time::timeout(limit, send).await {
                    Ok(result) => result,
                    Err(_) => {
                        // Name the limit the caller set, not what was left of it.
                        let (what, shown) = if Some(limit) == attempt_timeout {
                            ("attempt", limit)
                        } else {
                            ("operation", operation_timeout.unwrap_or(limit))
                        };
                        Err(timed_out(what, shown))
                    }
                },
                None => send.await,
            };
            let context = RetryContext::new(&method, idempotent, attempt);
            let finish = |result: Result<Response, Error>| match (result, deadline) {
                (Ok(response), Some(deadline)) => Ok(body_until(
                    response,
                    deadline,
                    operation_timeout.unwrap_or_default(),
                )),
                (other, _) => other,
            };
            let (retry, after_timeout, retry_after) = match &result {
                Ok(response) if response.status().is_success() => {
                    if let Some(budget) = &config.budget {
                        budget.refund();
                    }
                    return finish(result);
                }
                Ok(response) => (
                    config.policy.should_retry(
                        &context,
                        Outcome::Status(response.status(), response.headers()),
                    ),
                    false,
                    Some(response.headers()),
                ),
                Err(error) => (
                    config.policy.should_retry(&context, Outcome::Error(error)),
                    error.is_timeout(),
                    None,
                ),
            };
            if !retry || attempt >= config.max_attempts {
                return finish(result);
            }
            if let Some(budget) = &config.budget {
                if !budget.try_spend(after_timeout) {
                    tracing::debug!(attempt, "retry budget exhausted; not retrying");
                    return finish(result);
                }
            }
            let mut wait = config.backoff.delay(attempt, self.unit());
            // Read only now that a wait is certain: a response that goes up is not parsed twice.
            if let Some(asked) = retry_after.and_then(crate::retry_after::parse) {
                wait = wait.max(asked);
            }
            if let Some(deadline) = deadline {
                if Instant::now()
                    .checked_add(wait)
                    .is_none_or(|end| end >= deadline)
                {
                    // Waiting would end past the deadline: give the caller what we have.
                    return finish(result);
                }
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
            drop(result);
            tokio::time::sleep(wait).await;
        }
    }
}
