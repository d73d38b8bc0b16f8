//! The HTTP client trait every layer implements and composes through.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::{Body, Error};

/// A request as it goes on the wire: method, absolute URL, headers and a body held in memory.
pub type Request = http::Request<Bytes>;

/// A response as it comes off the wire; the body may still be streaming.
pub type Response = http::Response<Body>;

/// Sends one HTTP request and returns its response, whatever the status.
///
/// This is the seam of the SDK: the reqwest client, the auth layer, the retry layer and test
/// mocks all implement it, and stack by wrapping one another. A non-success status is a
/// response, not an error, at this level; errors are for requests that got no response.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends `request` once.
    async fn send(&self, request: Request) -> Result<Response, Error>;
}

/// A shared, type-erased client: what the layers hold.
pub type SharedHttpClient = Arc<dyn HttpClient>;

#[async_trait]
impl<T: HttpClient + ?Sized> HttpClient for Arc<T> {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: HttpClient + ?Sized> HttpClient for Box<T> {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        (**self).send(request).await
    }
}

/// Copies a request for another attempt: method, URI, version, headers, body and extensions.
///
/// The body is reference-counted, so this is cheap. Extensions are copied because layers
/// read them on every attempt (a redirect hop marked [`crate::Anonymous`] must stay so).
pub fn clone_request(request: &Request) -> Request {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn mocks_stack_behind_arc() {
        let mut mock = MockHttpClient::new();
        mock.expect_send().times(1).returning(|req| {
            assert_eq!(req.uri().path(), "/v1/x");
            Ok(http::Response::builder()
                .status(204)
                .body(Body::empty())
                .unwrap())
        });
        let shared: SharedHttpClient = Arc::new(mock);
        let req = http::Request::get("http://127.0.0.1/v1/x")
            .body(Bytes::new())
            .unwrap();
        let resp = shared.send(req).await.unwrap();
        assert_eq!(resp.status(), 204);
    }

    #[test]
    fn clone_request_copies_everything_on_the_wire() {
        let req = http::Request::post("https://example.com/a?b=c")
            .header("x-k", "v")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        let copy = clone_request(&req);
        assert_eq!(copy.method(), req.method());
        assert_eq!(copy.uri(), req.uri());
        assert_eq!(copy.headers(), req.headers());
        assert_eq!(copy.body(), req.body());
    }
}
