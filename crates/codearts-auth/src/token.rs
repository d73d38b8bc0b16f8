//! IAM tokens: obtained with a user name and password, cached, refreshed ahead of expiry.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codearts_model::iam;
use codearts_transport::{execute, Endpoint, Error, ErrorKind, OperationRequest, SharedHttpClient};
use http::Method;
use secrecy::{ExposeSecret, SecretString};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::clock::{SharedClock, SystemClock};
use crate::credentials::{PasswordCredentials, TokenScope};

/// How long before expiry a cached token is replaced, unless configured otherwise (5 minutes).
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The response header carrying a new IAM token.
pub const X_SUBJECT_TOKEN: &str = "x-subject-token";

/// The request header carrying an IAM token.
pub const X_AUTH_TOKEN: &str = "x-auth-token";

/// The largest IAM token response read (the catalog makes it large).
const IAM_BODY_LIMIT: usize = 4 * 1024 * 1024;

use crate::iam_regions::IAM_REGIONS;

/// The IAM endpoint of `region` (e.g. `cn-north-4`); an unknown region is an
/// [`ErrorKind::Config`] error.
pub fn iam_endpoint_for_region(region: &str) -> Result<Endpoint, Error> {
    match IAM_REGIONS.iter().find(|(id, _)| *id == region) {
        Some((_, url)) => Endpoint::parse(url),
        None => Err(Error::config(format!(
            "no IAM endpoint is known for region `{region}`: pass the IAM endpoint explicitly \
             or set HUAWEICLOUD_SDK_IAM_ENDPOINT"
        ))),
    }
}

/// The regions [`iam_endpoint_for_region`] knows.
pub fn iam_regions() -> impl Iterator<Item = &'static str> {
    IAM_REGIONS.iter().map(|(id, _)| *id)
}

struct Cached {
    token: SecretString,
    expires_at: SystemTime,
}

/// Obtains IAM tokens for a user name and password, caches them and refreshes them when they
/// are within the refresh window of expiry.
///
/// However many tasks ask for a token at once, one request goes to IAM: the others wait for
/// its answer.
pub struct TokenProvider {
    client: SharedHttpClient,
    endpoint: Endpoint,
    credentials: PasswordCredentials,
    refresh_window: Duration,
    clock: SharedClock,
    state: tokio::sync::Mutex<Option<Cached>>,
}

impl TokenProvider {
    /// A provider asking the IAM service at `iam_endpoint` through `client` (which must not
    /// itself add authentication).
    pub fn new(
        credentials: PasswordCredentials,
        iam_endpoint: Endpoint,
        client: SharedHttpClient,
    ) -> Self {
        TokenProvider {
            client,
            endpoint: iam_endpoint,
            credentials,
            refresh_window: DEFAULT_REFRESH_WINDOW,
            clock: Arc::new(SystemClock),
            state: tokio::sync::Mutex::new(None),
        }
    }

    /// Replaces a cached token this long before it expires (default 5 minutes).
    pub fn with_refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The IAM endpoint asked.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// A valid token: the cached one while it is outside the refresh window, else a new one.
    ///
    /// IAM refusing the request is an [`ErrorKind::Credentials`] error carrying IAM's status,
    /// and its code and message (directly for a 401, in the message and the source otherwise);
    /// an answer without `X-Subject-Token` or with an unreadable `token.expires_at` is
    /// [`ErrorKind::Credentials`] too. Connection failures keep their own kind. IAM answering
    /// with a redirect is an [`ErrorKind::Redirect`] error: the exchange never follows one, so
    /// the password goes to the IAM endpoint and nowhere else.
    pub async fn token(&self) -> Result<SecretString, Error> {
        let mut state = self.state.lock().await;
        if let Some(cached) = state.as_ref() {
            if self.is_fresh(cached) {
                return Ok(cached.token.clone());
            }
        }
        let fetched = self.fetch().await?;
        let token = fetched.token.clone();
        *state = Some(fetched);
        Ok(token)
    }

    /// Forgets the cached token, so the next [`TokenProvider::token`] asks IAM (after the
    /// service answered 401, say).
    pub async fn invalidate(&self) {
        *self.state.lock().await = None;
    }

    /// Forgets the cached token only if it is still `rejected`: when many calls are refused
    /// with the same stale token, the first one's refresh serves them all.
    pub async fn invalidate_token(&self, rejected: &SecretString) {
        let mut state = self.state.lock().await;
        if state
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == rejected.expose_secret())
        {
            *state = None;
        }
    }

    /// When the cached token expires, if one is cached.
    pub async fn expires_at(&self) -> Option<SystemTime> {
        self.state.lock().await.as_ref().map(|c| c.expires_at)
    }

    fn is_fresh(&self, cached: &Cached) -> bool {
        match self.clock.now().checked_add(self.refresh_window) {
            Some(deadline) => deadline < cached.expires_at,
            None => false,
        }
    }

    /// The body of the password-method token request (`spec/iam.json`'s
    /// `KeystoneCreateUserTokenByPasswordRequestBody`).
    pub fn request_body(&self) -> iam::KeystoneCreateUserTokenByPasswordRequestBody {
        let c = &self.credentials;
        let scope = match c.scope() {
            TokenScope::ProjectId(id) => {
                iam::AuthScope::new().set_project(iam::AuthScopeProject::new().set_id(id))
            }
            TokenScope::ProjectName(name) => {
                iam::AuthScope::new().set_project(iam::AuthScopeProject::new().set_name(name))
            }
            TokenScope::DomainId(id) => {
                iam::AuthScope::new().set_domain(iam::AuthScopeDomain::new().set_id(id))
            }
            TokenScope::DomainName(name) => {
                iam::AuthScope::new().set_domain(iam::AuthScopeDomain::new().set_name(name))
            }
        };
        let user = iam::PwdPasswordUser::new(
            iam::PwdPasswordUserDomain::new(c.domain_name()),
            c.user_name(),
            c.password().expose_secret(),
        );
        let identity =
            iam::PwdIdentity::new(vec!["password".to_owned()], iam::PwdPassword::new(user));
        iam::KeystoneCreateUserTokenByPasswordRequestBody::new(iam::PwdAuth::new(identity, scope))
    }

    async fn fetch(&self) -> Result<Cached, Error> {
        let request = OperationRequest::new(Method::POST, "/v3/auth/tokens")
            .content_type("application/json;charset=utf-8")?
            .json(&self.request_body())?
            .into_request(&self.endpoint)?;
        tracing::debug!(endpoint = %self.endpoint, "requesting an IAM token");
        let response = execute(self.client.as_ref(), request, IAM_BODY_LIMIT)
            .await
            .map_err(iam_error)?;
        let request_id = codearts_transport::request_id_of(&response.headers).map(str::to_owned);
        let auth_error = |message: &str| {
            Error::new(ErrorKind::Credentials, message)
                .with_status(response.status)
                .with_request_id_opt(request_id.clone())
        };
        let token = response
            .header(X_SUBJECT_TOKEN)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| auth_error("IAM answered without an X-Subject-Token header"))?;
        let token = SecretString::from(token.to_owned());

        let body: iam::KeystoneCreateUserTokenByPasswordResponse = response
            .json()
            .map_err(|e| auth_error("IAM's answer is not a token").with_source(e))?;
        let expires_at_text = body.token.map(|t| t.expires_at).unwrap_or_default();
        let expires_at = parse_expiry(&expires_at_text).ok_or_else(|| {
            auth_error(&format!(
                "IAM's token.expires_at `{expires_at_text}` is not an RFC 3339 time"
            ))
        })?;
        Ok(Cached { token, expires_at })
    }
}

/// Makes every refusal by IAM an [`ErrorKind::Credentials`] error: the service was never
/// asked. A 401 keeps IAM's code and message as they are. A redirect stays an
/// [`ErrorKind::Redirect`] error, saying that IAM sent it.
fn iam_error(error: Error) -> Error {
    match error.kind() {
        ErrorKind::Redirect => {
            return Error::new(
                ErrorKind::Redirect,
                format!("IAM did not issue a token: {}", error.message()),
            )
            .with_status(error.status().unwrap_or(http::StatusCode::FOUND))
            .with_request_id_opt(error.request_id().map(str::to_owned));
        }
        ErrorKind::Auth => return error.with_kind(ErrorKind::Credentials),
        ErrorKind::Service => {}
        _ => return error,
    }
    let mut message = String::from("IAM refused to issue a token");
    if let Some(status) = error.http_status_code() {
        message.push_str(&format!(": HTTP {status}"));
    }
    if let Some(code) = error.error_code() {
        message.push_str(&format!(": {code}"));
    }
    if let Some(msg) = error.error_msg() {
        message.push_str(&format!(": {msg}"));
    }
    let mut wrapped = Error::new(ErrorKind::Credentials, message)
        .with_request_id_opt(error.request_id().map(str::to_owned));
    if let Some(status) = error.status() {
        wrapped = wrapped.with_status(status);
    }
    wrapped.with_source(error)
}

fn parse_expiry(text: &str) -> Option<SystemTime> {
    let dt = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    // Seconds and nanoseconds apart: nanoseconds since 1970 overflow u64 after year 2554.
    let secs = dt.unix_timestamp();
    let subsec = Duration::from_nanos(u64::from(dt.nanosecond()));
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()) + subsec)
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(subsec)
    }
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = match self.state.try_lock() {
            Ok(state) => match state.as_ref() {
                Some(c) => format!("token expiring at {:?}", c.expires_at),
                None => "none".to_owned(),
            },
            Err(_) => "being refreshed".to_owned(),
        };
        f.debug_struct("TokenProvider")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("refresh_window", &self.refresh_window)
            .field("cached", &cached)
            .field("client", &self.client)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_parses_with_microseconds() {
        let t = parse_expiry("2026-11-23T14:06:21.000000Z").unwrap();
        let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_795_442_781);
        assert!(parse_expiry("tomorrow").is_none());
        // Past year 2554 nanoseconds since 1970 no longer fit in a u64.
        let far = parse_expiry("2999-01-01T00:00:00.5Z").unwrap();
        assert_eq!(
            far.duration_since(UNIX_EPOCH).unwrap(),
            Duration::new(32_472_144_000, 500_000_000)
        );
        let before = parse_expiry("1969-12-31T23:59:59.25Z").unwrap();
        assert_eq!(
            UNIX_EPOCH.duration_since(before).unwrap(),
            Duration::from_millis(750)
        );
    }

    #[test]
    fn region_table() {
        assert_eq!(
            iam_endpoint_for_region("cn-north-4").unwrap().as_str(),
            "https://iam.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            iam_endpoint_for_region("eu-west-101").unwrap().as_str(),
            "https://iam.eu-west-101.myhuaweicloud.eu"
        );
        assert_eq!(iam_regions().count(), 28);
        let err = iam_endpoint_for_region("mars-1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("HUAWEICLOUD_SDK_IAM_ENDPOINT"));
    }
}
