//! The auth layer: an [`HttpClient`] that authenticates every request it passes on.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use codearts_transport::error_body::{ParsedErrorBody, ServiceErrorBody};
use codearts_transport::redirect::{is_anonymous, strip_credentials};
use codearts_transport::{
    clone_request, Body, Endpoint, Error, HttpClient, Request, Response, SharedHttpClient,
};
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, DATE};
use http::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use crate::clock::{SharedClock, SystemClock};
use crate::credentials::{AkSkCredentials, Credentials};
use crate::signer::{sign, SigningRequest, X_SDK_DATE};
use crate::token::{TokenProvider, X_AUTH_TOKEN};

enum Mode {
    Sign(AkSkCredentials),
    Iam(Arc<TokenProvider>),
    // The one token type is `Credentials::Token`'s secret.
    Static(SecretString),
}

impl fmt::Debug for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Sign(c) => f.debug_tuple("Sign").field(c).finish(),
            Mode::Iam(p) => f.debug_tuple("IamToken").field(p).finish(),
            Mode::Static(_) => f
                .debug_tuple("StaticToken")
                .field(&crate::credentials::Redacted)
                .finish(),
        }
    }
}

/// Wraps a client and authenticates each request on its way out: signs it with an AK/SK pair
/// (a fresh `X-Sdk-Date` each time, so put retries outside this layer), or sets
/// `X-Auth-Token` from a [`TokenProvider`] or a caller-supplied token
/// ([`Credentials::Token`]).
///
/// A request marked [`codearts_transport::Anonymous`] (a download redirected to another
/// origin) is passed on with every credential header removed and none added.
pub struct AuthLayer {
    inner: SharedHttpClient,
    mode: Mode,
    clock: SharedClock,
    clock_offset: AtomicI64,
}

impl AuthLayer {
    /// Signs every request with `credentials` (`SDK-HMAC-SHA256`).
    pub fn signing(credentials: AkSkCredentials, inner: SharedHttpClient) -> Self {
        Self::with_mode(Mode::Sign(credentials), inner)
    }

    /// Sends a token from `provider` as `X-Auth-Token`.
    pub fn iam_token(provider: Arc<TokenProvider>, inner: SharedHttpClient) -> Self {
        Self::with_mode(Mode::Iam(provider), inner)
    }

    /// Sends `token` as `X-Auth-Token`, as it is (checked non-empty by
    /// [`Credentials::token`]).
    pub fn static_token(token: SecretString, inner: SharedHttpClient) -> Self {
        Self::with_mode(Mode::Static(token), inner)
    }

    /// The layer `credentials` call for. Password credentials need the IAM endpoint to get
    /// tokens from (IAM is asked through `inner`); without one this is an
    /// [`ErrorKind::Config`] error.
    ///
    /// [`ErrorKind::Config`]: codearts_transport::ErrorKind::Config
    pub fn from_credentials(
        credentials: Credentials,
        inner: SharedHttpClient,
        iam_endpoint: Option<Endpoint>,
    ) -> Result<Self, Error> {
        Ok(match credentials {
            Credentials::AkSk(c) => Self::signing(c, inner),
            Credentials::Token(t) => Self::static_token(t, inner),
            Credentials::Password(c) => {
                let endpoint = iam_endpoint.ok_or_else(|| {
                    Error::config(
                        "password credentials need an IAM endpoint: set a region, pass the \
                         endpoint, or set HUAWEICLOUD_SDK_IAM_ENDPOINT",
                    )
                })?;
                let provider = TokenProvider::new(c, endpoint, inner.clone());
                Self::iam_token(Arc::new(provider), inner)
            }
        })
    }

    fn with_mode(mode: Mode, inner: SharedHttpClient) -> Self {
        AuthLayer {
            inner,
            mode,
            clock: Arc::new(SystemClock),
            clock_offset: AtomicI64::new(0),
        }
    }

    /// Reads the signing time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Signs with the clock moved by `seconds` (positive: later), to match a server whose
    /// clock differs from ours.
    pub fn with_clock_offset(self, seconds: i64) -> Self {
        self.set_clock_offset(seconds);
        self
    }

    /// Changes the clock offset of later signatures (see [`AuthLayer::with_clock_offset`]).
    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    /// The clock offset in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::Relaxed)
    }

    /// The token provider, in IAM token mode (to invalidate its token after a 401).
    pub fn token_provider(&self) -> Option<&Arc<TokenProvider>> {
        match &self.mode {
            Mode::Iam(p) => Some(p),
            _ => None,
        }
    }

    /// The client requests are passed to.
    pub fn inner(&self) -> &SharedHttpClient {
        &self.inner
    }

    /// The signing time: the clock's time moved by the offset.
    pub fn signing_time(&self) -> SystemTime {
        let now = self.clock.now();
        let offset = self.clock_offset();
        let by = Duration::from_secs(offset.unsigned_abs());
        let moved = if offset >= 0 {
            now.checked_add(by)
        } else {
            now.checked_sub(by)
        };
        moved.unwrap_or(now)
    }

    /// Adds authentication to `request` without sending it; to a request marked
    /// [`codearts_transport::Anonymous`], none (and any credential header is removed).
    pub async fn authorize(&self, request: &mut Request) -> Result<(), Error> {
        if is_anonymous(request) {
            strip_credentials(request.headers_mut());
            return Ok(());
        }
        match &self.mode {
            Mode::Sign(credentials) => {
                // A request may come back for another attempt: sign it afresh.
                request.headers_mut().remove(X_SDK_DATE);
                request.headers_mut().remove(AUTHORIZATION);
                let signature = sign(
                    &SigningRequest::from_request(request),
                    credentials,
                    self.signing_time(),
                )?;
                signature.apply(request.headers_mut());
            }
            Mode::Iam(provider) => {
                let token = provider.token().await?;
                set_token(request, &token)?;
            }
            Mode::Static(token) => set_token(request, token)?,
        }
        Ok(())
    }
}

fn set_token(request: &mut Request, token: &SecretString) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(token.expose_secret())
        .map_err(|_| Error::config("the IAM token contains characters a header cannot carry"))?;
    value.set_sensitive(true);
    request
        .headers_mut()
        .insert(HeaderName::from_static(X_AUTH_TOKEN), value);
    Ok(())
}

/// The most of a 401 body read to find out why the request was refused.
const REFUSAL_BODY_LIMIT: usize = 64 * 1024;

/// True when a refusal says the token is no longer valid (API Gateway's `APIG.0307`
/// "The token must be updated", or a message about an expired token).
pub fn says_token_expired(refusal: &ServiceErrorBody) -> bool {
    let code = refusal.code.as_deref().unwrap_or_default();
    let message = refusal
        .message
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    code.ends_with(".0307")
        || (message.contains("token")
            && (message.contains("expire") || message.contains("must be updated")))
}

/// True when a refusal says the signature's `X-Sdk-Date` is too far from the server's clock
/// ("signature expired").
pub fn says_signature_expired(refusal: &ServiceErrorBody) -> bool {
    let message = refusal
        .message
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    message.contains("signature expired") || message.contains("request expired")
}

impl AuthLayer {
    /// The token a request carries, to tell later whether the provider replaced it.
    fn token_of(request: &Request) -> Option<SecretString> {
        request
            .headers()
            .get(X_AUTH_TOKEN)
            .and_then(|v| v.to_str().ok())
            .map(|t| SecretString::from(t.to_owned()))
    }

    /// Learns the server's clock from a refusal's `Date` header; false when it has none.
    fn learn_clock_offset(&self, headers: &http::HeaderMap) -> bool {
        let Some(server) = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
        else {
            return false;
        };
        let now = self.clock.now();
        let offset = match server.duration_since(now) {
            Ok(ahead) => ahead.as_secs() as i64,
            Err(behind) => -(behind.duration().as_secs() as i64),
        };
        tracing::warn!(
            offset_seconds = offset,
            "the service refused our signing time; signing with its clock from now on"
        );
        self.set_clock_offset(offset);
        true
    }
}

#[async_trait]
impl HttpClient for AuthLayer {
    /// Authenticates and sends `request`. When the service answers 401 because the token
    /// expired (token mode) or the signing time is off (AK/SK mode), the layer refreshes the
    /// token or adopts the service's clock and sends the request once more; never twice.
    async fn send(&self, request: Request) -> Result<Response, Error> {
        // Only refreshable modes may need the request again.
        let again = (!matches!(self.mode, Mode::Static(_)) && !is_anonymous(&request))
            .then(|| clone_request(&request));
        let mut first = request;
        self.authorize(&mut first).await?;
        let token_sent = Self::token_of(&first);
        let response = self.inner.send(first).await?;
        let Some(mut again) = again.filter(|_| response.status() == StatusCode::UNAUTHORIZED)
        else {
            return Ok(response);
        };
        let (mut parts, body) = response.into_parts();
        let body = body.collect(REFUSAL_BODY_LIMIT).await?;
        let parsed = ServiceErrorBody::parse(&body);
        let refusal = parsed.clone().unwrap_or_default();
        let retry = match &self.mode {
            Mode::Iam(provider) if says_token_expired(&refusal) => {
                if let Some(token) = &token_sent {
                    provider.invalidate_token(token).await;
                }
                true
            }
            Mode::Sign(_) if says_signature_expired(&refusal) => {
                self.learn_clock_offset(&parts.headers)
            }
            _ => false,
        };
        if !retry {
            // The error built from this answer on the way up reuses the parse.
            parts.extensions.insert(ParsedErrorBody(parsed));
            return Ok(Response::from_parts(parts, Body::from(body)));
        }
        self.authorize(&mut again).await?;
        self.inner.send(again).await
    }
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("mode", &self.mode)
            .field("clock_offset", &self.clock_offset())
            .field("inner", &self.inner)
            .finish()
    }
}
