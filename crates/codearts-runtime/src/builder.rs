//! [`ClientBuilder`]: how every service client is configured and assembled.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use codearts_auth::{AuthLayer, Credentials, CredentialsChain, SharedClock};
use codearts_transport::{
    Endpoint, Error, Region, ReqwestClientBuilder, RetryConfig, RetryLayer, ServiceHttp,
    SharedHttpClient,
};

use crate::UntypedClient;

/// What a service facade tells the builder about itself.
///
/// An implementation detail of the generated service crates: users never implement or call it.
#[doc(hidden)]
pub trait ServiceClient: Sized {
    /// The service name, e.g. `codeartspipeline`.
    const SERVICE: &'static str;
    /// The regions where the service is offered.
    const REGIONS: &'static [Region];
    /// The client over an assembled stack.
    fn from_http(http: ServiceHttp) -> Self;
}

/// Configures and builds a service client: endpoint, credentials, retries, HTTP client.
///
/// Get one from the service client (`PipelineClient::builder()`); nothing is required but a
/// region or an endpoint. Credentials default to the [`CredentialsChain`] (environment, then
/// the profile file), retries to [`RetryConfig::default`], and the HTTP client to a
/// [`ReqwestClient`](codearts_transport::ReqwestClient) with the settings given here.
///
/// ```
/// use std::time::Duration;
/// use codearts_auth::{AkSkCredentials, Credentials};
/// use codearts_runtime::ClientBuilder;
/// use codearts_transport::RetryConfig;
///
/// // The same calls work on `PipelineClient::builder()` and `BuildClient::builder()`.
/// fn configure<C>(builder: ClientBuilder<C>) -> Result<ClientBuilder<C>, codearts_transport::Error> {
///     Ok(builder
///         .region("cn-north-4")
///         .credentials(Credentials::AkSk(AkSkCredentials::new("AK", "SK")?))
///         .retry(RetryConfig::default().with_max_attempts(5))
///         .connect_timeout(Duration::from_secs(3))
///         .read_timeout(Duration::from_secs(20))
///         .user_agent("my-tool/1.0"))
/// }
/// ```
pub struct ClientBuilder<C> {
    region: Option<String>,
    endpoint: Option<String>,
    iam_endpoint: Option<String>,
    credentials: Option<Credentials>,
    chain: Option<CredentialsChain>,
    http_client: Option<SharedHttpClient>,
    reqwest: Option<ReqwestClientBuilder>,
    body_limit: Option<usize>,
    clock: Option<SharedClock>,
    retry: RetryConfig,
    _client: PhantomData<fn() -> C>,
}

impl<C> Default for ClientBuilder<C> {
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
            .field("reqwest", &self.reqwest)
            .field("body_limit", &self.body_limit)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl<C> ClientBuilder<C> {
    /// A builder with nothing set: credentials then come from the default chain.
    pub fn new() -> Self {
        ClientBuilder {
            region: None,
            endpoint: None,
            iam_endpoint: None,
            credentials: None,
            chain: None,
            http_client: None,
            reqwest: None,
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

    /// Sends through this HTTP client instead of a
    /// [`ReqwestClient`](codearts_transport::ReqwestClient). The HTTP settings of
    /// this builder (timeouts, proxy, ...) configure the default client only: setting both
    /// makes [`Self::build`] fail with a `Config` error rather than ignore them.
    pub fn http_client(mut self, client: SharedHttpClient) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Configures the default HTTP client with these settings, all at once.
    pub fn http_settings(mut self, settings: ReqwestClientBuilder) -> Self {
        self.reqwest = Some(settings);
        self
    }

    fn with_reqwest(
        mut self,
        f: impl FnOnce(ReqwestClientBuilder) -> ReqwestClientBuilder,
    ) -> Self {
        self.reqwest = Some(f(self.reqwest.take().unwrap_or_default()));
        self
    }

    /// How long the default HTTP client waits for a connection (default 10 s).
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.with_reqwest(|b| b.connect_timeout(timeout))
    }

    /// How long the default HTTP client waits for each read (default 60 s).
    pub fn read_timeout(self, timeout: Duration) -> Self {
        self.with_reqwest(|b| b.read_timeout(timeout))
    }

    /// Sends every request through this proxy, e.g. `http://proxy.internal:3128`.
    pub fn proxy(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.with_reqwest(|b| b.proxy(url))
    }

    /// Replaces the default `User-Agent` (`codearts-rs/<version>`).
    pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
        let user_agent = user_agent.into();
        self.with_reqwest(|b| b.user_agent(user_agent))
    }

    /// How many idle connections the default HTTP client keeps per host (default 32).
    pub fn pool_max_idle_per_host(self, max: usize) -> Self {
        self.with_reqwest(|b| b.pool_max_idle_per_host(max))
    }

    /// How many requests may be in flight at once (default 64); more wait for a slot.
    pub fn max_in_flight(self, max: usize) -> Self {
        self.with_reqwest(|b| b.max_in_flight(max))
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
}

impl<C: ServiceClient> ClientBuilder<C> {
    /// Assembles the client. Errors are [`codearts_transport::ErrorKind::Config`] (no region
    /// or endpoint, an unknown region, a malformed endpoint or proxy, an HTTP client given
    /// together with HTTP settings) or [`codearts_transport::ErrorKind::Credentials`] (no
    /// credentials anywhere, or incomplete ones).
    pub fn build(self) -> Result<C, Error> {
        Ok(C::from_http(self.assemble()?))
    }

    /// Assembles an [`UntypedClient`] with the same stack a typed client would get: for
    /// operations the spec does not describe.
    pub fn build_untyped(self) -> Result<UntypedClient, Error> {
        Ok(UntypedClient::new(self.assemble()?))
    }

    fn assemble(self) -> Result<ServiceHttp, Error> {
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
        let http =
            match (self.http_client, self.reqwest) {
                (Some(_), Some(_)) => return Err(Error::config(
                    "an HTTP client was given together with HTTP settings (timeouts, proxy, user \
                     agent, pool): configure the client you pass, or let the builder make one",
                )),
                (Some(client), None) => client,
                (None, settings) => Arc::new(settings.unwrap_or_default().build()?),
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
        Ok(service)
    }
}
