//! The default [`HttpClient`]: reqwest with rustls, no OpenSSL, never following redirects.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::{Body, Error, ErrorKind, HttpClient, Request, Response};

/// The `User-Agent` the SDK sends unless told otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("codearts-rs/", env!("CARGO_PKG_VERSION"));

/// An [`HttpClient`] on reqwest.
///
/// ```
/// use std::time::Duration;
/// use codearts_transport::ReqwestClient;
///
/// let client = ReqwestClient::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .read_timeout(Duration::from_secs(30))
///     .build()?;
/// # Ok::<(), codearts_transport::Error>(())
/// ```
#[derive(Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
    /// Bounds requests in flight, and so the connections they hold.
    slots: Arc<Semaphore>,
    max_in_flight: usize,
}

impl ReqwestClient {
    /// A client with the default settings.
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// A builder for the client's settings.
    pub fn builder() -> ReqwestClientBuilder {
        ReqwestClientBuilder::default()
    }

    fn with_slots(client: reqwest::Client, max_in_flight: usize) -> Self {
        let max_in_flight = max_in_flight.max(1);
        ReqwestClient {
            client,
            slots: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
        }
    }

    /// Requests sent and not yet finished (their bodies not yet read or dropped).
    pub fn in_flight(&self) -> usize {
        self.max_in_flight - self.slots.available_permits()
    }

    /// The most requests in flight at once; more wait their turn.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }
}

/// The default bound on requests in flight per client.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

impl fmt::Debug for ReqwestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestClient").finish_non_exhaustive()
    }
}

/// Settings of a [`ReqwestClient`].
#[derive(Clone)]
pub struct ReqwestClientBuilder {
    connect_timeout: Duration,
    read_timeout: Duration,
    /// A proxy URL may carry a password, so it is kept (and printed by `Debug`) as a secret.
    proxy: Option<SecretString>,
    user_agent: String,
    pool_max_idle_per_host: usize,
    max_in_flight: usize,
}

impl Default for ReqwestClientBuilder {
    fn default() -> Self {
        ReqwestClientBuilder {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            proxy: None,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            pool_max_idle_per_host: 32,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

impl fmt::Debug for ReqwestClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestClientBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("proxy", &self.proxy)
            .field("user_agent", &self.user_agent)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}

impl ReqwestClientBuilder {
    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for each read from the connection (default 60 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sends every request, `http://` and `https://` alike, through this proxy.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(SecretString::from(url.into()));
        self
    }

    /// Replaces the default `User-Agent` (`codearts-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How many idle connections to keep per host (default 32).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// How many requests may be in flight at once (default 64); more wait for a slot. Over
    /// HTTP/1.1 each holds a connection, so this bounds the connections too.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max;
        self
    }

    /// Builds the client; a malformed proxy URL is a [`ErrorKind::Config`] error.
    pub fn build(self) -> Result<ReqwestClient, Error> {
        // Redirects are the transport's business, not reqwest's: reqwest would follow them
        // with our credential headers (see `crate::redirect`).
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .user_agent(self.user_agent)
            .pool_max_idle_per_host(self.pool_max_idle_per_host);
        if let Some(proxy) = &self.proxy {
            let proxy = reqwest::Proxy::all(proxy.expose_secret())
                .map_err(|e| Error::config("the proxy URL is not valid").with_source(e))?;
            builder = builder.proxy(proxy);
        }
        let client = builder
            .build()
            .map_err(|e| Error::config("the HTTP client could not be built").with_source(e))?;
        Ok(ReqwestClient::with_slots(client, self.max_in_flight))
    }
}

#[async_trait]
impl HttpClient for ReqwestClient {
    async fn send(&self, mut request: Request) -> Result<Response, Error> {
        mark_empty_body(&mut request);
        let request = reqwest::Request::try_from(request).map_err(|e| {
            Error::invalid_request("the request is not valid for HTTP").with_source(e)
        })?;
        // Held until the body is read or dropped: the connection is busy until then.
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| Error::new(ErrorKind::Io, "the HTTP client is shutting down"))?;
        let response = self.client.execute(request).await.map_err(map_error)?;
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            *headers = response.headers().clone();
        }
        let stream = response.bytes_stream().map(move |chunk| {
            let _slot = &slot;
            chunk.map_err(map_error)
        });
        builder
            .body(Body::from_stream(stream))
            .map_err(|e| Error::new(ErrorKind::Io, "malformed response").with_source(e))
    }
}

/// Adds `Content-Length: 0` to a bodiless request other than GET and HEAD, as the official SDK
/// (Python `requests`) does: hyper sends no length for an empty body, and some proxies refuse
/// a POST without one (411). Added here, below the auth layer, so it is not signed, as the
/// official SDK adds it after signing.
fn mark_empty_body(request: &mut Request) {
    let method = request.method();
    if request.body().is_empty()
        && *method != http::Method::GET
        && *method != http::Method::HEAD
        && !request.headers().contains_key(http::header::CONTENT_LENGTH)
    {
        request.headers_mut().insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("0"),
        );
    }
}

fn map_error(error: reqwest::Error) -> Error {
    let (kind, message) = if error.is_timeout() {
        (ErrorKind::Timeout, "the request timed out")
    } else if error.is_connect() {
        (ErrorKind::Connect, "could not connect")
    } else if error.is_builder() {
        (ErrorKind::InvalidRequest, "the request could not be built")
    } else {
        (ErrorKind::Io, "the connection failed")
    };
    Error::new(kind, message).with_source(error.without_url())
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn a_proxy_password_never_reaches_debug() {
        let builder = ReqwestClient::builder().proxy("http://alice:hunter2@proxy.example:3128");
        let printed = format!("{builder:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("alice"), "{printed}");
        assert!(printed.contains("proxy"), "{printed}");
    }
}
