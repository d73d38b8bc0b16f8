//! [`ClientBuilder`]: how every service client is configured and assembled.
//!
//! The builder resolves the endpoint (a region from the service's table, or an explicit URL),
//! the credentials (given, or found by the [`CredentialsChain`]) and the HTTP client, and stacks
//! them: retry layer over auth layer over the HTTP client, bound to the endpoint.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use codearts_transport::{
    Endpoint, Error, Region, ReqwestClient, RetryConfig, RetryLayer, ServiceHttp, SharedHttpClient,
};

use crate::chain::CredentialsChain;
use crate::clock::SharedClock;
use crate::credentials::Credentials;
use crate::layer::AuthLayer;

/// A service client the builder can assemble (implemented by each facade's client).
pub trait ServiceClient: Sized {
    /// The service name, e.g. `codeartspipeline`.
    const SERVICE: &'static str;
    /// The regions where the service is offered.
    const REGIONS: &'static [Region];
    /// The client over an assembled stack.
    fn from_http(http: ServiceHttp) -> Self;
}

/// Configures and builds a service client.
///
/// ```
/// use codearts_auth::{AkSkCredentials, ClientBuilder, Credentials, ServiceClient};
/// use codearts_transport::{Region, ServiceHttp};
///
/// // Each facade implements `ServiceClient`; a minimal one for the example:
/// struct Demo(ServiceHttp);
/// impl ServiceClient for Demo {
///     const SERVICE: &'static str = "demo";
///     const REGIONS: &'static [Region] = &[Region::new("cn-north-4", "https://demo.cn-north-4.example.com")];
///     fn from_http(http: ServiceHttp) -> Self { Demo(http) }
/// }
///
/// let client: Demo = ClientBuilder::new()
///     .region("cn-north-4")
///     .credentials(Credentials::AkSk(AkSkCredentials::new("AK", "SK")?))
///     .build()?;
/// assert_eq!(client.0.endpoint().as_str(), "https://demo.cn-north-4.example.com");
///
/// let unknown = ClientBuilder::<Demo>::new().region("mars-1").build();
/// assert!(unknown.is_err());
/// # Ok::<(), codearts_transport::Error>(())
/// ```
pub struct ClientBuilder<C> {
    region: Option<String>,
    endpoint: Option<String>,
    iam_endpoint: Option<String>,
    credentials: Option<Credentials>,
    chain: Option<CredentialsChain>,
    http_client: Option<SharedHttpClient>,
    body_limit: Option<usize>,
    clock: Option<SharedClock>,
    retry: RetryConfig,
    _client: PhantomData<fn() -> C>,
}

impl<C: ServiceClient> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("credentials", &self.credentials)
            .field("http_client", &self.http_client)
            .field("body_limit", &self.body_limit)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl<C: ServiceClient> ClientBuilder<C> {
    /// A builder with nothing set: credentials then come from the default chain.
    pub fn new() -> Self {
        ClientBuilder {
            region: None,
            endpoint: None,
            iam_endpoint: None,
            credentials: None,
            chain: None,
            http_client: None,
            body_limit: None,
            clock: None,
            retry: RetryConfig::default(),
            _client: PhantomData,
        }
    }

    /// The region, e.g. `cn-north-4`: picks the service endpoint (unless [`Self::endpoint`]
    /// is set) and the IAM endpoint for password credentials.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit service endpoint, e.g. `http://127.0.0.1:8080` for a local emulator.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// An explicit IAM endpoint for password credentials.
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some(url.into());
        self
    }

    /// Uses these credentials instead of looking for them.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Looks for credentials with this chain (e.g. another profile section or file).
    pub fn credentials_chain(mut self, chain: CredentialsChain) -> Self {
        self.chain = Some(chain);
        self
    }

    /// Sends through this HTTP client instead of a default [`ReqwestClient`].
    pub fn http_client(mut self, client: SharedHttpClient) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The largest response body read into memory (default 16 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// How calls are retried (default: [`RetryConfig::default`], the strict policy with
    /// three attempts; [`RetryConfig::disabled`] turns retries off).
    pub fn retry(mut self, config: RetryConfig) -> Self {
        self.retry = config;
        self
    }

    /// Reads signing times from `clock` (tests).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Assembles the client. Errors are [`codearts_transport::ErrorKind::Config`]: no region
    /// or endpoint, an unknown region, a malformed endpoint, no credentials anywhere.
    pub fn build(self) -> Result<C, Error> {
        let endpoint = match (&self.endpoint, &self.region) {
            (Some(url), _) => Endpoint::parse(url)?,
            (None, Some(region)) => Region::resolve(C::REGIONS, C::SERVICE, region)?,
            (None, None) => {
                return Err(Error::config(format!(
                    "{}: set a region (e.g. `cn-north-4`) or an endpoint",
                    C::SERVICE
                )))
            }
        };
        let mut chain = self.chain.unwrap_or_default();
        if let Some(credentials) = self.credentials {
            chain = chain.with_credentials(credentials);
        }
        if let Some(region) = &self.region {
            chain = chain.with_region(region.clone());
        }
        if let Some(url) = &self.iam_endpoint {
            chain = chain.with_iam_endpoint(Endpoint::parse(url)?);
        }
        let resolved = chain.resolve()?;
        let http = match self.http_client {
            Some(client) => client,
            None => Arc::new(ReqwestClient::new()?),
        };
        let mut layer =
            AuthLayer::from_credentials(resolved.credentials, http, resolved.iam_endpoint)?;
        if let Some(clock) = self.clock {
            layer = layer.with_clock(clock);
        }
        // Retries wrap authentication, so every attempt is signed afresh.
        let stack = RetryLayer::new(Arc::new(layer), self.retry);
        let mut service = ServiceHttp::new(Arc::new(stack), endpoint);
        if let Some(limit) = self.body_limit {
            service = service.with_body_limit(limit);
        }
        Ok(C::from_http(service))
    }
}
