//! Building an operation's request and decoding its answer: the routine every facade calls.

use std::fmt;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::encoding::canonical_query;
use crate::options::{Idempotency, RequestOptions};
use crate::{Body, ByteStream, Error, ErrorKind, HttpClient};

/// The largest response body read into memory unless configured otherwise (16 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Where a service is reached: scheme, host, optional port and optional path prefix.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    base: String,
}

impl Endpoint {
    /// Parses an endpoint such as `https://cloudbuild-ext.cn-north-4.myhuaweicloud.com` or
    /// `http://127.0.0.1:8080`. Only `http` and `https` are accepted; a query or fragment is not.
    pub fn parse(url: &str) -> Result<Self, Error> {
        // The message never repeats a password given as URL user-info.
        let bad = |why: &str| {
            Error::config(format!(
                "endpoint `{}` is not valid: {why}",
                crate::redirect::redact_userinfo(url)
            ))
        };
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => return Err(bad("the scheme must be http or https")),
        }
        let authority = uri.authority().ok_or_else(|| bad("there is no host"))?;
        if authority.host().is_empty() {
            return Err(bad("there is no host"));
        }
        if authority.as_str().contains('@') {
            return Err(bad(
                "user-info (`user:password@`) does not belong in an endpoint; give credentials \
                 through the environment or the credentials file",
            ));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(bad("an endpoint has no query or fragment"));
        }
        let path = uri.path().trim_end_matches('/');
        let base = format!(
            "{}://{}{}",
            uri.scheme_str().unwrap_or("https"),
            authority,
            path
        );
        Ok(Endpoint { base })
    }

    /// The endpoint as a URL without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The host (and port, if any) of the endpoint.
    pub fn authority(&self) -> &str {
        let rest = self.base.split_once("://").map_or("", |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.base)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

/// One operation's request before it is bound to an endpoint.
///
/// Path parameters are escaped by the caller (see [`crate::encoding::path_param`]); query pairs
/// are sorted and escaped here, so the URL carries the canonical query the signer signs.
#[derive(Debug, Clone)]
pub struct OperationRequest {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    idempotent: Option<bool>,
    options: Option<RequestOptions>,
}

impl OperationRequest {
    /// A request for `method` on `path` (already escaped, starting with `/`).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        OperationRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            idempotent: None,
            options: None,
        }
    }

    /// Adds one query pair; repeat the key for arrays.
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Adds a query pair if the value is present.
    pub fn query_opt<V: ToString>(self, key: impl Into<String>, value: Option<V>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds one query pair per element, with the same key.
    pub fn query_all<V: ToString>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        for value in values {
            self.query.push((key.to_owned(), value.to_string()));
        }
        self
    }

    /// Sets a header; a value that cannot be a header is an [`ErrorKind::InvalidRequest`].
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::try_from(name)
            .map_err(|_| Error::invalid_request(format!("`{name}` is not a valid header name")))?;
        let value = HeaderValue::try_from(value).map_err(|_| {
            Error::invalid_request(format!("the value of header `{name}` is not valid"))
        })?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Sets the `Content-Type` the operation sends.
    pub fn content_type(self, content_type: &str) -> Result<Self, Error> {
        self.header(CONTENT_TYPE.as_str(), content_type)
    }

    /// Serializes `body` as JSON.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::invalid_request("the request body could not be serialized").with_source(e)
        })?;
        self.body = Bytes::from(bytes);
        Ok(self)
    }

    /// Sets a raw body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Marks the operation safe (or not) to repeat once it may have reached the service, as
    /// the spec says; the retry layer reads it. Unmarked requests are judged by their method.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Attaches the call's options: their headers are added to the request, the rest travels
    /// in the request's extensions to the retry layer.
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = (!options.is_default()).then_some(options);
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The escaped path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query pairs, unescaped, in the order they were added.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The full HTTP request against `endpoint`.
    pub fn into_request(self, endpoint: &Endpoint) -> Result<crate::Request, Error> {
        let query = canonical_query(&self.query);
        let mut url =
            String::with_capacity(endpoint.as_str().len() + self.path.len() + query.len() + 1);
        url.push_str(endpoint.as_str());
        url.push_str(&self.path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let mut request = http::Request::builder()
            .method(self.method)
            .uri(url.as_str())
            .body(self.body)
            .map_err(|e| {
                Error::invalid_request(format!("`{url}` is not a valid request URL")).with_source(e)
            })?;
        *request.headers_mut() = self.headers;
        if let Some(idempotent) = self.idempotent {
            request.extensions_mut().insert(Idempotency(idempotent));
        }
        if let Some(options) = self.options {
            let headers = request.headers_mut();
            // A header set for the call replaces the operation's value of that name.
            for name in options.headers().keys() {
                headers.remove(name);
            }
            for (name, value) in options.headers() {
                headers.append(name.clone(), value.clone());
            }
            request.extensions_mut().insert(options);
        }
        Ok(request)
    }
}

/// A success response read whole.
#[derive(Debug)]
pub struct RawResponse {
    /// The HTTP status (2xx).
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RawResponse {
    /// Decodes the body as JSON into `T`. An empty body decodes as `{}`, so all-optional
    /// response types accept it. Errors name the JSON path that failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &self.body
        };
        decode_json(body).map_err(|e| {
            e.with_status(self.status)
                .with_request_id_opt(crate::request_id_of(&self.headers).map(str::to_owned))
        })
    }

    /// The body as text: a JSON string is unquoted, anything else is taken as UTF-8 text.
    pub fn text(&self) -> Result<String, Error> {
        if let Ok(serde_json::Value::String(s)) = serde_json::from_slice(&self.body) {
            return Ok(s);
        }
        String::from_utf8(self.body.to_vec()).map_err(|e| {
            Error::new(ErrorKind::Decode, "the response body is not UTF-8 text")
                .with_source(e)
                .with_status(self.status)
        })
    }

    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Decodes JSON into `T`, naming the path of the first field that did not fit.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let decode_error = |message: String, source: serde_json::Error| {
        Error::new(ErrorKind::Decode, message)
            .with_source(source)
            .with_body_snippet(body)
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = if path == "." {
            "the response body does not match the expected type".to_owned()
        } else {
            format!("the response field `{path}` does not match the expected type")
        };
        decode_error(message, e.into_inner())
    })?;
    de.end()
        .map_err(|e| decode_error("the response body has trailing data".to_owned(), e))?;
    Ok(value)
}

/// A success response whose body is still streaming (downloads).
#[derive(Debug)]
pub struct StreamingResponse {
    /// The HTTP status (2xx).
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Body,
}

impl StreamingResponse {
    /// The body as a stream of chunks.
    pub fn into_stream(self) -> ByteStream {
        self.body.into_stream()
    }
}

/// Sends `request` and reads the whole answer: a success becomes a [`RawResponse`], a 3xx an
/// [`ErrorKind::Redirect`] error (API calls never follow redirects), any other status the
/// typed [`Error`] parsed from its body.
pub async fn execute(
    client: &dyn HttpClient,
    request: crate::Request,
    body_limit: usize,
) -> Result<RawResponse, Error> {
    let response = client.send(request).await?;
    if response.status().is_redirection() {
        return Err(crate::redirect::redirect_error(
            response.status(),
            response.headers(),
        ));
    }
    let (parts, body) = response.into_parts();
    let body = body.collect(body_limit).await.map_err(|e| {
        let request_id = crate::request_id_of(&parts.headers).map(str::to_owned);
        e.with_status(parts.status).with_request_id_opt(request_id)
    })?;
    if !parts.status.is_success() {
        return Err(Error::from_parts(&parts, &body));
    }
    Ok(RawResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// Sends `request` and hands back a success body as a stream; an error status is read (up to
/// `error_limit` bytes) and becomes the typed [`Error`].
///
/// A `GET` answered with a redirect is followed (see [`crate::redirect`]): at most
/// [`crate::redirect::MAX_REDIRECTS`] hops, with no credentials once the origin changes.
pub async fn execute_streaming(
    client: &dyn HttpClient,
    request: crate::Request,
    error_limit: usize,
) -> Result<StreamingResponse, Error> {
    let response = crate::redirect::send_following(client, request).await?;
    let (parts, body) = response.into_parts();
    if !parts.status.is_success() {
        let body = body.collect(error_limit).await.unwrap_or_default();
        return Err(Error::from_parts(&parts, &body));
    }
    Ok(StreamingResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_validated() {
        let e = Endpoint::parse("https://cloudbuild-ext.cn-north-4.myhuaweicloud.com/").unwrap();
        assert_eq!(
            e.as_str(),
            "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(e.authority(), "cloudbuild-ext.cn-north-4.myhuaweicloud.com");
        let e = Endpoint::parse("http://127.0.0.1:8080/prefix/").unwrap();
        assert_eq!(e.as_str(), "http://127.0.0.1:8080/prefix");
        assert_eq!(e.authority(), "127.0.0.1:8080");
        for bad in [
            "",
            "ftp://x",
            "https://",
            "127.0.0.1:80",
            "https://u:p@h",
            "https://h?x=1",
            "v5/x",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
        }
    }

    #[test]
    fn endpoint_errors_never_repeat_user_info() {
        for bad in [
            "http://user:secret@host/",
            "https://user:secret@host:8443/p",
            "http://user:sec ret@host/",
            "ftp://user:secret@host/",
            "http://user:secret@host/?q=1",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{bad}");
            assert!(!err.to_string().contains("secret"), "{err}");
            assert!(!format!("{err:?}").contains("secret"), "{err:?}");
        }
        let err = Endpoint::parse("http://user:secret@host/").unwrap_err();
        assert!(err.to_string().contains("user-info"), "{err}");
    }

    #[test]
    fn request_carries_the_canonical_query() {
        let endpoint = Endpoint::parse("http://127.0.0.1:1").unwrap();
        let req = OperationRequest::new(Method::GET, "/v1/job/permission")
            .query("project_id", "p 1")
            .query("job_id", "j/1")
            .query_opt("absent", None::<&str>)
            .into_request(&endpoint)
            .unwrap();
        assert_eq!(
            req.uri().to_string(),
            "http://127.0.0.1:1/v1/job/permission?job_id=j%2F1&project_id=p%201"
        );
    }

    #[test]
    fn options_and_marking_ride_in_the_request() {
        let endpoint = Endpoint::parse("http://127.0.0.1:1").unwrap();
        let options = RequestOptions::default()
            .with_header("x-trace", "t1")
            .unwrap()
            .with_header("content-type", "text/plain")
            .unwrap()
            .with_attempt_timeout(std::time::Duration::from_secs(3));
        let req = OperationRequest::new(Method::POST, "/v1/x")
            .content_type("application/json")
            .unwrap()
            .idempotent(true)
            .options(options.clone())
            .into_request(&endpoint)
            .unwrap();
        assert_eq!(req.headers()["x-trace"], "t1");
        assert_eq!(req.headers().get_all("content-type").iter().count(), 1);
        assert_eq!(req.headers()["content-type"], "text/plain");
        assert_eq!(RequestOptions::of(&req), Some(&options));
        assert_eq!(crate::options::idempotency(&req), Some(true));
        // Default options add nothing to the request.
        let req = OperationRequest::new(Method::GET, "/v1/x")
            .options(RequestOptions::default())
            .into_request(&endpoint)
            .unwrap();
        assert!(RequestOptions::of(&req).is_none());
        assert_eq!(crate::options::idempotency(&req), None);
    }

    #[test]
    fn bad_header_values_are_typed_errors() {
        let err = OperationRequest::new(Method::GET, "/")
            .header("x-a", "line\nbreak")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[test]
    fn decode_errors_name_the_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            count: i64,
        }
        let err = decode_json::<Outer>(br#"{"inner":{"count":"x"}}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.message().contains("inner.count"), "{}", err.message());
        assert!(err.body_snippet().unwrap().contains("count"));
        let err = decode_json::<Outer>(br#"{"inner":{"count":1}} trailing"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
    }
}
