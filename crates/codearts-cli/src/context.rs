//! The global options and what they build: the credential chain, the HTTP stack and the
//! service clients.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use clap::ArgMatches;
use codearts_auth::chain::{
    ENV_AK, ENV_DOMAIN_NAME, ENV_PASSWORD, ENV_SECURITY_TOKEN, ENV_SK, ENV_TOKEN, ENV_USER_NAME,
};
use codearts_auth::{Credentials, CredentialsChain};
use codearts_runtime::{ClientBuilder, ServiceClient};
use codearts_transport::{
    Error, HttpClient, Request, ReqwestClient, Response, RetryConfig, SharedHttpClient,
};

use crate::output::Format;
use crate::CliError;

/// How to authenticate (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Sign with an AK/SK pair (environment or profile).
    AkSk,
    /// Send an IAM token: obtained with the IAM user and password from the environment, or
    /// `HUAWEICLOUD_SDK_TOKEN`.
    Token,
}

/// The global options.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    /// `--region`.
    pub region: Option<String>,
    /// `--endpoint`.
    pub endpoint: Option<String>,
    /// `--iam-endpoint`.
    pub iam_endpoint: Option<String>,
    /// `--profile`: the section of the credentials file.
    pub profile: Option<String>,
    /// `--auth`; `None` takes whatever the chain finds first.
    pub auth: Option<AuthMode>,
    /// `--output`.
    pub output: Format,
    /// `--timeout`: how long the whole command may take.
    pub timeout: Option<Duration>,
    /// `--debug`: requests and statuses on stderr.
    pub debug: bool,
}

impl Globals {
    /// The global options in `matches` (clap has validated them).
    pub fn from_matches(matches: &ArgMatches) -> Self {
        let text = |id: &str| matches.get_one::<String>(id).cloned();
        Globals {
            region: text("region"),
            endpoint: text("endpoint"),
            iam_endpoint: text("iam-endpoint"),
            profile: text("profile"),
            auth: match text("auth").as_deref() {
                Some("aksk") => Some(AuthMode::AkSk),
                Some("token") => Some(AuthMode::Token),
                _ => None,
            },
            output: text("output")
                .as_deref()
                .and_then(Format::parse)
                .unwrap_or_default(),
            timeout: matches.get_one::<Duration>("timeout").copied(),
            debug: matches.get_flag("debug"),
        }
    }

    /// The credential chain the options call for.
    ///
    /// `--profile NAME` reads section `NAME` of the credentials file and ignores credentials in
    /// the environment (the flag names where they come from). `--auth aksk` ignores password
    /// and token variables; `--auth token` ignores AK/SK variables.
    pub fn chain(&self) -> CredentialsChain {
        let mut hidden: Vec<&'static str> = Vec::new();
        if self.profile.is_some() {
            hidden.extend([
                ENV_AK,
                ENV_SK,
                ENV_SECURITY_TOKEN,
                ENV_USER_NAME,
                ENV_PASSWORD,
                ENV_DOMAIN_NAME,
                ENV_TOKEN,
            ]);
        }
        match self.auth {
            Some(AuthMode::AkSk) => hidden.extend([ENV_USER_NAME, ENV_PASSWORD, ENV_TOKEN]),
            Some(AuthMode::Token) => hidden.extend([ENV_AK, ENV_SK, ENV_SECURITY_TOKEN]),
            None => {}
        }
        let mut chain = CredentialsChain::new()
            .with_env_lookup(move |name| {
                if hidden.contains(&name) {
                    None
                } else {
                    std::env::var(name).ok()
                }
            })
            // The chain gives each warning once per process, however often it resolves.
            .with_warning_hook(|message| {
                eprintln!("warning: {}", crate::output::escape_control(message));
            });
        if let Some(section) = &self.profile {
            chain = chain.with_profile_section(section.clone());
        }
        chain
    }

    /// The credentials the options select, checked against `--auth`.
    pub fn credentials(&self) -> Result<Credentials, CliError> {
        let resolved = self.chain().resolve().map_err(|e| {
            let message = crate::describe(&e);
            match self.auth {
                Some(AuthMode::AkSk) => CliError::usage(format!("--auth aksk: {message}")),
                Some(AuthMode::Token) => CliError::usage(format!("--auth token: {message}")),
                None => CliError::from(e),
            }
        })?;
        let credentials = resolved.credentials;
        match (self.auth, &credentials) {
            (Some(AuthMode::AkSk), Credentials::Password(_) | Credentials::Token(_)) => {
                Err(CliError::usage(
                    "--auth aksk: no AK/SK found: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, \
                     or put `ak` and `sk` in the credentials file",
                ))
            }
            (Some(AuthMode::Token), Credentials::AkSk(_)) => Err(CliError::usage(
                "--auth token: set HUAWEICLOUD_SDK_USER_NAME, HUAWEICLOUD_SDK_PASSWORD and \
                 HUAWEICLOUD_SDK_DOMAIN_NAME (an IAM token is then obtained), or \
                 HUAWEICLOUD_SDK_TOKEN",
            )),
            _ => Ok(credentials),
        }
    }

    /// The HTTP client at the bottom of every stack: reqwest, with `--debug` logging above it.
    pub fn http(&self) -> Result<SharedHttpClient, CliError> {
        let client: SharedHttpClient = Arc::new(ReqwestClient::new()?);
        Ok(if self.debug {
            Arc::new(DebugLayer(client))
        } else {
            client
        })
    }

    /// A builder for service `C` configured from the options.
    pub fn builder<C: ServiceClient>(&self) -> Result<ClientBuilder<C>, CliError> {
        let credentials = self.credentials()?;
        let mut retry = RetryConfig::default();
        if let Some(timeout) = self.timeout {
            // Each call ends by --timeout, reading the answer included.
            retry = retry.with_operation_timeout(timeout);
        }
        let mut builder = ClientBuilder::<C>::new()
            .credentials_chain(self.chain())
            .credentials(credentials)
            .http_client(self.http()?)
            .retry(retry);
        if let Some(region) = &self.region {
            builder = builder.region(region.clone());
        }
        if let Some(endpoint) = &self.endpoint {
            builder = builder.endpoint(endpoint.clone());
        }
        if let Some(iam) = &self.iam_endpoint {
            builder = builder.iam_endpoint(iam.clone());
        }
        Ok(builder)
    }

    /// A client of service `C` configured from the options.
    pub fn client<C: ServiceClient>(&self) -> Result<C, CliError> {
        Ok(self.builder::<C>()?.build()?)
    }
}

/// Prints each request's method and URL, and each answer's status and request id, on stderr.
/// Headers and bodies are never printed: they carry signatures, tokens and passwords.
#[derive(Debug)]
pub struct DebugLayer(pub SharedHttpClient);

#[async_trait]
impl HttpClient for DebugLayer {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        eprintln!(
            "debug: > {} {} ({} body bytes)",
            request.method(),
            request.uri(),
            request.body().len()
        );
        let started = std::time::Instant::now();
        let result = self.0.send(request).await;
        match &result {
            Ok(response) => eprintln!(
                "debug: < {} in {} ms{}",
                response.status().as_u16(),
                started.elapsed().as_millis(),
                codearts_transport::request_id_of(response.headers())
                    .map(|id| format!(", request id {}", crate::output::escape_control(id)))
                    .unwrap_or_default()
            ),
            Err(e) => eprintln!("debug: < failed: {}", e.kind()),
        }
        result
    }
}
