//! Per-call settings: time limits, retries, idempotency and extra headers for one call.
//!
//! A [`RequestOptions`] travels with the call: through the facade's stub trait (so a mock sees
//! it), then in the extensions of the `http::Request` down to the [`crate::RetryLayer`], which
//! prefers it to the client's [`RetryConfig`]. Unset settings fall back to the client's.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

use crate::retry::RetryConfig;
use crate::{Error, Request};

/// Settings for one call; what is not set here comes from the client's configuration.
///
/// ```
/// use std::time::Duration;
/// use codearts_transport::RequestOptions;
///
/// let options = RequestOptions::default()
///     .with_attempt_timeout(Duration::from_secs(5))
///     .with_idempotent(true)
///     .with_header("x-trace-id", "run-42")
///     .unwrap();
/// assert_eq!(options.attempt_timeout(), Some(Duration::from_secs(5)));
/// assert_eq!(RequestOptions::never_retry().retry().unwrap().max_attempts, 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOptions {
    attempt_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    // An Arc: the retry layer borrows it for the call, and copies of the options stay cheap.
    retry: Option<Arc<RetryConfig>>,
    idempotent: Option<bool>,
    headers: HeaderMap,
}

impl RequestOptions {
    /// Options that forbid any retry of the call (its time limits still apply).
    pub fn never_retry() -> Self {
        RequestOptions::default().with_never_retry()
    }

    /// The limit of one attempt, overriding the client's.
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// The limit of the whole call, waits included, overriding the client's.
    pub fn operation_timeout(&self) -> Option<Duration> {
        self.operation_timeout
    }

    /// The retry configuration used instead of the client's, if any.
    pub fn retry(&self) -> Option<&RetryConfig> {
        self.retry.as_deref()
    }

    /// Whether the call is safe to repeat, overriding the operation's marking in the spec.
    pub fn idempotent(&self) -> Option<bool> {
        self.idempotent
    }

    /// Headers added to the request (before it is signed).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Sets the limit of one attempt.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Sets the limit of the whole call.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Retries this call as `config` says instead of as the client does. The time limits of
    /// `config`, when set, apply unless this value sets its own; when unset, the client's do.
    pub fn with_retry(mut self, config: RetryConfig) -> Self {
        self.retry = Some(Arc::new(config));
        self
    }

    /// Sends the call once, whatever happens.
    pub fn with_never_retry(mut self) -> Self {
        static NEVER: OnceLock<Arc<RetryConfig>> = OnceLock::new();
        self.retry = Some(
            NEVER
                .get_or_init(|| Arc::new(RetryConfig::disabled()))
                .clone(),
        );
        self
    }

    /// Declares the call safe (or not) to repeat after it may have reached the service.
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Adds a header to the request; a name or value that cannot be a header is an
    /// [`crate::ErrorKind::InvalidRequest`] error.
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::try_from(name)
            .map_err(|_| Error::invalid_request(format!("`{name}` is not a valid header name")))?;
        let value = HeaderValue::try_from(value).map_err(|_| {
            Error::invalid_request(format!("the value of header `{name}` is not valid"))
        })?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// True when nothing is set: the call behaves as the client is configured.
    pub fn is_default(&self) -> bool {
        self.attempt_timeout.is_none()
            && self.operation_timeout.is_none()
            && self.retry.is_none()
            && self.idempotent.is_none()
            && self.headers.is_empty()
    }

    /// The options a request carries, if any.
    pub fn of(request: &Request) -> Option<&RequestOptions> {
        request.extensions().get::<RequestOptions>()
    }
}

/// The operation's retry safety as the spec marks it, carried in a request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idempotency(pub bool);

/// Whether `request` may be repeated: the per-call override, else the operation's marking;
/// `None` for a request that carries neither (e.g. a raw request).
pub fn idempotency(request: &Request) -> Option<bool> {
    RequestOptions::of(request)
        .and_then(RequestOptions::idempotent)
        .or_else(|| request.extensions().get::<Idempotency>().map(|i| i.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn setters_and_equality() {
        let a = RequestOptions::default()
            .with_operation_timeout(Duration::from_secs(9))
            .with_idempotent(false);
        assert_eq!(a.operation_timeout(), Some(Duration::from_secs(9)));
        assert_eq!(a.idempotent(), Some(false));
        assert_eq!(a.clone(), a);
        assert_ne!(a, RequestOptions::default());
        assert!(RequestOptions::default().is_default());
        assert!(!a.is_default());
        // Two never_retry values share one configuration, so they compare equal.
        assert_eq!(RequestOptions::never_retry(), RequestOptions::never_retry());
    }

    #[test]
    fn bad_headers_are_typed_errors() {
        let err = RequestOptions::default()
            .with_header("bad name", "v")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        let err = RequestOptions::default()
            .with_header("x-a", "line\nbreak")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn the_call_override_wins_over_the_marking() {
        let mut request = http::Request::new(bytes::Bytes::new());
        assert_eq!(idempotency(&request), None);
        request.extensions_mut().insert(Idempotency(false));
        assert_eq!(idempotency(&request), Some(false));
        request
            .extensions_mut()
            .insert(RequestOptions::default().with_idempotent(true));
        assert_eq!(idempotency(&request), Some(true));
    }
}
