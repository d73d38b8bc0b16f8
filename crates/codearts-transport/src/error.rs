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
    /// Authentication failed: credentials missing or refused, a token could not be obtained,
    /// or the service answered 401.
    Auth,
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
    retry_after: Option<std::time::Duration>,
    date: Option<String>,
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
                retry_after: None,
                date: None,
                source: None,
            }),
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidRequest`] error.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    /// Shorthand for an [`ErrorKind::Config`] error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// The error built from a non-success HTTP response: status, headers and body.
    ///
    /// 401 becomes [`ErrorKind::Auth`], every other status [`ErrorKind::Service`]. The body is
    /// parsed in any of the shapes the services use; a body that is not one keeps its text.
    pub fn from_response(status: StatusCode, headers: &http::HeaderMap, body: &[u8]) -> Self {
        let kind = if status == StatusCode::UNAUTHORIZED {
            ErrorKind::Auth
        } else {
            ErrorKind::Service
        };
        let service = ServiceErrorBody::parse(body);
        let mut error = Error::new(kind, format!("HTTP {}", status.as_u16()));
        error.inner.status = Some(status);
        error.inner.request_id = header_str(headers, "x-request-id");
        error.inner.retry_after = crate::retry_after::parse(headers);
        error.inner.date = header_str(headers, "date");
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
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Adds the request id (`X-Request-Id`) of the response this error came from.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.inner.request_id = request_id;
        self
    }

    /// Keeps the start of a body that could not be understood.
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

    /// The delay the service asked for with `Retry-After`.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.inner.retry_after
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

    /// True for authentication failures.
    pub fn is_auth(&self) -> bool {
        self.inner.kind == ErrorKind::Auth
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
}
