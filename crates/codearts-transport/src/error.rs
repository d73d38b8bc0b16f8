//! The one error type every layer of codearts-rs returns.
//!
//! An [`Error`] is opaque: callers ask it questions ([`Error::kind`], [`Error::status`],
//! [`Error::request_id`], [`Error::error_code`], ...) instead of matching on a deep enum, so new
//! failure modes can be added without breaking anyone.

use std::fmt;

use http::StatusCode;

use crate::error_body::ServiceErrorBody;

/// A boxed error source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, in broad classes that call for different reactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No connection could be made: DNS, refused, TLS handshake. The request never left.
    Connect,
    /// The connect, read, attempt or operation time limit ran out.
    Timeout,
    /// The connection broke after the request may have left (reset, closed early).
    Io,
    /// The service answered 401: it refused the signature or the token.
    Auth,
    /// No usable credentials: none found, incomplete ones, or IAM would not issue a token
    /// (a refused password, an answer without a token). The service was not called.
    Credentials,
    /// The service answered with a non-success status other than 401.
    Service,
    /// A success response whose body could not be decoded into the expected type.
    Decode,
    /// The request could not be built: a bad parameter value, an unencodable body.
    InvalidRequest,
    /// The client is misconfigured: unknown region, bad endpoint, missing credentials.
    Config,
    /// A response body exceeded the configured size limit.
    BodyTooLarge,
    /// The client's stub does not implement this operation (a mock that was not told about it).
    Unimplemented,
    /// The service answered with a redirect the SDK does not follow: any 3xx on an API call,
    /// a redirect of a download that is not a `GET`, or too many hops.
    Redirect,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Connect => "connection failed",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Io => "connection error",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Credentials => "no usable credentials",
            ErrorKind::Service => "service error",
            ErrorKind::Decode => "could not decode the response",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::Config => "invalid configuration",
            ErrorKind::BodyTooLarge => "response body too large",
            ErrorKind::Unimplemented => "not implemented",
            ErrorKind::Redirect => "redirected",
        })
    }
}

/// The error of every codearts-rs call.
///
/// Never holds a secret: credentials are not part of any error message.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<StatusCode>,
    request_id: Option<String>,
    service: Option<ServiceErrorBody>,
    body_snippet: Option<String>,
    date: Option<String>,
    headers: Option<http::HeaderMap>,
    source: Option<BoxError>,
}

/// How many bytes of an unparsed body an error keeps, for diagnosis.
pub const BODY_SNIPPET_LEN: usize = 512;

impl Error {
    /// A new error of `kind` with a human message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                request_id: None,
                service: None,
                body_snippet: None,
                date: None,
                headers: None,
                source: None,
            }),
        }
    }

    /// A service's refusal, as a mock returns it: HTTP `status` with the service's error
    /// `code` and `message`. 401 is [`ErrorKind::Auth`], any other status
    /// [`ErrorKind::Service`]; add a request id with [`Error::with_request_id`] and headers
    /// with [`Error::with_header`].
    ///
    /// A status outside 100–999 cannot be an HTTP status: the error then has none and says so
    /// in its message.
    ///
    /// ```
    /// use codearts_transport::{Error, ErrorKind};
    ///
    /// let err = Error::service(429, "APIGW.0308", "throttled")
    ///     .with_request_id("req-1")
    ///     .with_header("Retry-After", "2");
    /// assert_eq!(err.kind(), ErrorKind::Service);
    /// assert_eq!(err.http_status_code(), Some(429));
    /// assert_eq!(err.error_code(), Some("APIGW.0308"));
    /// assert_eq!(err.request_id(), Some("req-1"));
    /// assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(2)));
    /// assert!(err.is_throttling() && err.is_retryable());
    /// ```
    pub fn service(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        let body = ServiceErrorBody {
            code: Some(code.into()),
            message: Some(message.into()),
            encoded_authorization_message: None,
        };
        let mut error = match StatusCode::from_u16(status) {
            Ok(status) => {
                let kind = if status == StatusCode::UNAUTHORIZED {
                    ErrorKind::Auth
                } else {
                    ErrorKind::Service
                };
                let mut error = Error::new(kind, format!("HTTP {}", status.as_u16()));
                error.inner.status = Some(status);
                error
            }
            Err(_) => Error::new(
                ErrorKind::Service,
                format!("HTTP {status} (not a valid HTTP status)"),
            ),
        };
        error.inner.service = Some(body);
        error
    }

    /// Adds the request id (`X-Request-Id`) the service gave the failed call.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.inner.request_id = Some(request_id.into());
        self
    }

    /// Adds a response header (e.g. `Retry-After` to a mock's throttling error). A name or
    /// value that cannot be a header is ignored. `X-Request-Id`, `Retry-After` and `Date`
    /// also set [`Error::request_id`], [`Error::retry_after`] and [`Error::server_date`].
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) else {
            return self;
        };
        let headers = self.inner.headers.get_or_insert_with(http::HeaderMap::new);
        headers.insert(name, value);
        let headers = headers.clone();
        self.absorb_headers(&headers);
        self
    }

    /// Takes the request id and `Date` from response headers (`Retry-After` is read from the
    /// kept headers only when asked for).
    fn absorb_headers(&mut self, headers: &http::HeaderMap) {
        if let Some(id) = request_id_of(headers) {
            self.inner.request_id = Some(id.to_owned());
        }
        if let Some(date) = header_str(headers, "date") {
            self.inner.date = Some(date);
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidRequest`] error.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    /// Shorthand for an [`ErrorKind::Credentials`] error.
    pub fn credentials(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Credentials, message)
    }

    /// Shorthand for an [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// The error built from a non-success HTTP response: status, headers and body.
    ///
    /// 401 becomes [`ErrorKind::Auth`], every other status [`ErrorKind::Service`]. The body is
    /// parsed in any of the shapes the services use; a body that is not one keeps its text.
    #[doc(hidden)]
    pub fn from_response(status: StatusCode, headers: &http::HeaderMap, body: &[u8]) -> Self {
        Self::from_response_parsed(status, headers, body, ServiceErrorBody::parse(body))
    }

    /// [`Error::from_response`] for a response whose body a layer below may have parsed
    /// already ([`crate::error_body::ParsedErrorBody`] in its extensions).
    #[doc(hidden)]
    pub fn from_parts(parts: &http::response::Parts, body: &[u8]) -> Self {
        let service = match parts.extensions.get::<crate::error_body::ParsedErrorBody>() {
            Some(parsed) => parsed.0.clone(),
            None => ServiceErrorBody::parse(body),
        };
        Self::from_response_parsed(parts.status, &parts.headers, body, service)
    }

    fn from_response_parsed(
        status: StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
        service: Option<ServiceErrorBody>,
    ) -> Self {
        let kind = if status == StatusCode::UNAUTHORIZED {
            ErrorKind::Auth
        } else {
            ErrorKind::Service
        };
        let mut error = Error::new(kind, format!("HTTP {}", status.as_u16()));
        error.inner.status = Some(status);
        error.absorb_headers(headers);
        error.inner.headers = Some(headers.clone());
        if service.is_none() && !body.is_empty() {
            error.inner.body_snippet = Some(snippet(body));
        }
        error.inner.service = service;
        error
    }

    /// Adds the cause of this error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Adds the HTTP status of the response this error came from.
    #[doc(hidden)]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Adds the request id of the response this error came from, if it had one.
    #[doc(hidden)]
    pub fn with_request_id_opt(mut self, request_id: Option<String>) -> Self {
        if request_id.is_some() {
            self.inner.request_id = request_id;
        }
        self
    }

    /// Changes the kind, keeping everything else (a refusal by IAM becomes a credentials
    /// problem).
    #[doc(hidden)]
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    /// Keeps the start of a body that could not be understood.
    #[doc(hidden)]
    pub fn with_body_snippet(mut self, body: &[u8]) -> Self {
        self.inner.body_snippet = Some(snippet(body));
        self
    }

    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The human message, without the service details (see [`fmt::Display`] for everything).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The `X-Request-Id` of the response: quote it to support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The service's error code (`error_code`, `errorCode` or `code` in the body).
    pub fn error_code(&self) -> Option<&str> {
        self.inner.service.as_ref()?.code.as_deref()
    }

    /// The service's error message (`error_msg`, `errorMsg` or `message` in the body).
    pub fn error_msg(&self) -> Option<&str> {
        self.inner.service.as_ref()?.message.as_deref()
    }

    /// The parsed error body, when the service sent one in a known shape.
    pub fn service_error(&self) -> Option<&ServiceErrorBody> {
        self.inner.service.as_ref()
    }

    /// The start of a response body that could not be parsed, for diagnosis.
    pub fn body_snippet(&self) -> Option<&str> {
        self.inner.body_snippet.as_deref()
    }

    /// The delay the service asked for with `Retry-After`, read from the response headers when
    /// asked (the retry layer reads it for itself only when it is about to wait).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.inner
            .headers
            .as_ref()
            .and_then(crate::retry_after::parse)
    }

    /// The headers of the error response, when the error came from one (or a mock added
    /// some with [`Error::with_header`]).
    pub fn headers(&self) -> Option<&http::HeaderMap> {
        self.inner.headers.as_ref()
    }

    /// The `Date` header of the error response: the service's clock.
    pub fn server_date(&self) -> Option<&str> {
        self.inner.date.as_deref()
    }

    /// True for time-outs of any kind.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// True when no connection could be made: the request never left.
    pub fn is_connect(&self) -> bool {
        self.inner.kind == ErrorKind::Connect
    }

    /// True when the service answered 401 (see also [`Error::is_credentials`]).
    pub fn is_auth(&self) -> bool {
        self.inner.kind == ErrorKind::Auth
    }

    /// True when there were no usable credentials, or IAM would not issue a token.
    pub fn is_credentials(&self) -> bool {
        self.inner.kind == ErrorKind::Credentials
    }

    /// True when the service is throttling the caller: HTTP 429, or an API gateway
    /// throttling code (`APIGW.0308`) whatever the status.
    pub fn is_throttling(&self) -> bool {
        self.inner.status == Some(StatusCode::TOO_MANY_REQUESTS)
            || self
                .error_code()
                .is_some_and(|code| THROTTLING_CODES.contains(&code))
    }

    /// True for failures the standard retry policy treats as transient: no connection, a
    /// time-out, a broken connection, throttling, and the statuses 408, 500, 502, 503, 504.
    /// Whether repeating is *safe* also depends on the operation, which this ignores.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Io => true,
            _ => {
                self.is_throttling()
                    || self
                        .inner
                        .status
                        .is_some_and(crate::retry::is_transient_status)
            }
        }
    }

    /// True when the service answered with an error status.
    pub fn is_service(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Service | ErrorKind::Auth)
            && self.inner.status.is_some()
    }

    /// The HTTP status as a number, when a response was received.
    pub fn http_status_code(&self) -> Option<u16> {
        self.inner.status.map(|s| s.as_u16())
    }
}

/// The request id the service gave a response (`X-Request-Id`): the one place it is read.
pub fn request_id_of(headers: &http::HeaderMap) -> Option<&str> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok())
}

/// Error codes with which Huawei Cloud's API gateway says "too many requests".
const THROTTLING_CODES: &[&str] = &["APIGW.0308"];

fn header_str(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn snippet(body: &[u8]) -> String {
    let cut = body.len().min(BODY_SNIPPET_LEN);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        text.push('…');
    }
    text
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.kind, self.inner.message)?;
        if let Some(service) = &self.inner.service {
            match (&service.code, &service.message) {
                (Some(code), Some(msg)) => write!(f, ": {code}: {msg}")?,
                (Some(code), None) => write!(f, ": {code}")?,
                (None, Some(msg)) => write!(f, ": {msg}")?,
                (None, None) => {}
            }
        } else if let Some(snippet) = &self.inner.body_snippet {
            write!(f, ": {snippet}")?;
        }
        if let Some(id) = &self.inner.request_id {
            write!(f, " (request id {id})")?;
        }
        if let Some(source) = &self.inner.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(status) = self.inner.status {
            d.field("status", &status.as_u16());
        }
        if let Some(id) = &self.inner.request_id {
            d.field("request_id", id);
        }
        if let Some(service) = &self.inner.service {
            d.field("service", service);
        }
        if let Some(snippet) = &self.inner.body_snippet {
            d.field("body_snippet", snippet);
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_401_is_auth_and_keeps_details() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", "req-1".parse().unwrap());
        let body = br#"{"error_code":"DEV.00000003","error_msg":"token expired"}"#;
        let err = Error::from_response(StatusCode::UNAUTHORIZED, &headers, body);
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(err.http_status_code(), Some(401));
        assert_eq!(err.request_id(), Some("req-1"));
        assert_eq!(err.error_code(), Some("DEV.00000003"));
        assert_eq!(err.error_msg(), Some("token expired"));
        assert_eq!(
            err.to_string(),
            "authentication failed: HTTP 401: DEV.00000003: token expired (request id req-1)"
        );
    }

    #[test]
    fn non_json_body_is_kept_as_snippet() {
        let err = Error::from_response(
            StatusCode::BAD_GATEWAY,
            &http::HeaderMap::new(),
            b"<html>bad gateway</html>",
        );
        assert_eq!(err.kind(), ErrorKind::Service);
        assert_eq!(err.error_code(), None);
        assert_eq!(err.body_snippet(), Some("<html>bad gateway</html>"));
    }

    #[test]
    fn long_snippets_are_cut() {
        let body = vec![b'x'; BODY_SNIPPET_LEN * 3];
        let err = Error::new(ErrorKind::Decode, "bad").with_body_snippet(&body);
        assert_eq!(
            err.body_snippet().unwrap().chars().count(),
            BODY_SNIPPET_LEN + 1
        );
    }

    #[test]
    fn mock_service_errors_read_like_real_ones() {
        let err = Error::service(404, "DEV.00000001", "no such pipeline").with_request_id("r-7");
        assert_eq!(err.kind(), ErrorKind::Service);
        assert_eq!(err.http_status_code(), Some(404));
        assert_eq!(err.error_code(), Some("DEV.00000001"));
        assert_eq!(err.error_msg(), Some("no such pipeline"));
        assert_eq!(err.request_id(), Some("r-7"));
        assert!(err.is_service() && !err.is_retryable() && !err.is_throttling());
        assert_eq!(
            err.to_string(),
            "service error: HTTP 404: DEV.00000001: no such pipeline (request id r-7)"
        );
        assert_eq!(Error::service(401, "c", "m").kind(), ErrorKind::Auth);
        let odd = Error::service(42, "c", "m");
        assert_eq!(odd.status(), None);
        assert!(odd.message().contains("not a valid HTTP status"));
        // A bad header is ignored rather than a panic.
        let err = Error::service(500, "c", "m").with_header("bad name", "v");
        assert!(err.headers().is_none());
    }

    #[test]
    fn errors_from_responses_keep_their_headers() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-request-id", "req-2".parse().unwrap());
        headers.insert("x-rate-limit", "10".parse().unwrap());
        headers.insert("retry-after", "3".parse().unwrap());
        let err = Error::from_response(StatusCode::SERVICE_UNAVAILABLE, &headers, b"");
        let kept = err.headers().unwrap();
        assert_eq!(kept.get("x-rate-limit").unwrap(), "10");
        assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(3)));
        assert!(Error::new(ErrorKind::Decode, "x").headers().is_none());
    }

    #[test]
    fn throttling_is_429_or_the_gateway_code() {
        assert!(Error::service(429, "X", "slow down").is_throttling());
        assert!(Error::service(403, "APIGW.0308", "throttled").is_throttling());
        assert!(!Error::service(403, "APIGW.0301", "denied").is_throttling());
        assert!(Error::service(403, "APIGW.0308", "throttled").is_retryable());
    }

    #[test]
    fn retryable_follows_the_standard_policy_without_idempotency() {
        for kind in [ErrorKind::Connect, ErrorKind::Timeout, ErrorKind::Io] {
            assert!(Error::new(kind, "x").is_retryable(), "{kind:?}");
        }
        for kind in [
            ErrorKind::Auth,
            ErrorKind::Credentials,
            ErrorKind::Decode,
            ErrorKind::Config,
            ErrorKind::InvalidRequest,
            ErrorKind::BodyTooLarge,
            ErrorKind::Unimplemented,
        ] {
            assert!(!Error::new(kind, "x").is_retryable(), "{kind:?}");
        }
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(Error::service(status, "c", "m").is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 501] {
            assert!(!Error::service(status, "c", "m").is_retryable(), "{status}");
        }
    }

    #[test]
    fn a_body_parsed_below_is_not_parsed_again() {
        let response = http::Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .extension(crate::error_body::ParsedErrorBody(Some(ServiceErrorBody {
                code: Some("FROM.LAYER".to_owned()),
                message: None,
                encoded_authorization_message: None,
            })))
            .body(())
            .unwrap();
        let (parts, ()) = response.into_parts();
        let body = br#"{"error_code":"FROM.BODY"}"#;
        assert_eq!(
            Error::from_parts(&parts, body).error_code(),
            Some("FROM.LAYER")
        );
        let (plain, ()) = http::Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(
            Error::from_parts(&plain, body).error_code(),
            Some("FROM.BODY")
        );
    }
}
