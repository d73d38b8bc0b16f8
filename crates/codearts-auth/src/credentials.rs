//! The credentials the SDK can authenticate with.
//!
//! Secrets (secret keys, passwords, security tokens, IAM tokens) are held in
//! [`SecretString`] and print as `** redacted **` in `Debug`.

use std::fmt;
use std::sync::Arc;

use codearts_transport::Error;
use http::HeaderValue;
use ring::hmac;
use secrecy::SecretString;

pub(crate) use codearts_model::Redacted;

fn required(what: &str, value: String) -> Result<String, Error> {
    if value.is_empty() {
        Err(Error::config(format!(
            "{what} is empty: set it to the value from the Huawei Cloud console"
        )))
    } else {
        Ok(value)
    }
}

/// An access key pair for `SDK-HMAC-SHA256` signing, with the optional extras the official
/// SDKs send along: a security token (temporary credentials), a project id and a domain id.
#[derive(Clone)]
pub struct AkSkCredentials {
    ak: String,
    sk: SecretString,
    /// The HMAC key schedule of `sk`, computed once rather than on every signature.
    signing_key: Arc<hmac::Key>,
    security_token: Option<SecretString>,
    project_id: Option<String>,
    domain_id: Option<String>,
    /// The extra signed headers, ready to send (shared, so adding one does not copy it). The
    /// security token is not kept here: secrets stay in `SecretString`.
    headers: ExtraHeaders,
}

#[derive(Clone, Default)]
struct ExtraHeaders {
    project_id: Option<HeaderValue>,
    domain_id: Option<HeaderValue>,
}

/// A header value that is shared on clone; a value a header cannot carry is kept as `None`
/// and refused when signing.
fn shared_value(value: &str) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(bytes::Bytes::copy_from_slice(value.as_bytes())).ok()
}

impl AkSkCredentials {
    /// A key pair; an empty access key or secret key is an [`ErrorKind::Config`] error.
    ///
    /// [`ErrorKind::Config`]: codearts_transport::ErrorKind::Config
    pub fn new(ak: impl Into<String>, sk: impl Into<String>) -> Result<Self, Error> {
        let ak = required("the access key (AK)", ak.into())?;
        let sk = required("the secret key (SK)", sk.into())?;
        let signing_key = Arc::new(hmac::Key::new(hmac::HMAC_SHA256, sk.as_bytes()));
        Ok(AkSkCredentials {
            ak,
            sk: SecretString::from(sk),
            signing_key,
            security_token: None,
            project_id: None,
            domain_id: None,
            headers: ExtraHeaders::default(),
        })
    }

    /// Adds the security token of temporary credentials, sent as a signed `X-Security-Token`.
    /// An empty token is ignored.
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.security_token = (!token.is_empty()).then(|| SecretString::from(token));
        self
    }

    /// Adds the project id, sent as a signed `X-Project-Id` header. An empty id is ignored.
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        let id = project_id.into();
        self.headers.project_id = shared_value(&id);
        self.project_id = (!id.is_empty()).then_some(id);
        self
    }

    /// Adds the account (domain) id, sent as a signed `X-Domain-Id` header. An empty id is
    /// ignored.
    pub fn with_domain_id(mut self, domain_id: impl Into<String>) -> Self {
        let id = domain_id.into();
        self.headers.domain_id = shared_value(&id);
        self.domain_id = (!id.is_empty()).then_some(id);
        self
    }

    /// The access key id.
    pub fn ak(&self) -> &str {
        &self.ak
    }

    /// The secret key.
    pub fn sk(&self) -> &SecretString {
        &self.sk
    }

    /// The security token, for temporary credentials.
    pub fn security_token(&self) -> Option<&SecretString> {
        self.security_token.as_ref()
    }

    /// The project id sent as `X-Project-Id`.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// The domain id sent as `X-Domain-Id`.
    pub fn domain_id(&self) -> Option<&str> {
        self.domain_id.as_deref()
    }

    pub(crate) fn signing_key(&self) -> &hmac::Key {
        &self.signing_key
    }

    pub(crate) fn project_id_header(&self) -> Result<Option<&HeaderValue>, Error> {
        extra(
            self.project_id.is_some(),
            self.headers.project_id.as_ref(),
            "X-Project-Id",
        )
    }

    pub(crate) fn domain_id_header(&self) -> Result<Option<&HeaderValue>, Error> {
        extra(
            self.domain_id.is_some(),
            self.headers.domain_id.as_ref(),
            "X-Domain-Id",
        )
    }
}

fn extra<'a>(
    set: bool,
    value: Option<&'a HeaderValue>,
    name: &str,
) -> Result<Option<&'a HeaderValue>, Error> {
    match (set, value) {
        (false, _) => Ok(None),
        (true, Some(value)) => Ok(Some(value)),
        (true, None) => Err(Error::invalid_request(format!(
            "the value of the {name} header contains characters a header cannot carry"
        ))),
    }
}

impl fmt::Debug for AkSkCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AkSkCredentials")
            .field("ak", &self.ak)
            .field("sk", &Redacted)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| Redacted),
            )
            .field("project_id", &self.project_id)
            .field("domain_id", &self.domain_id)
            .finish()
    }
}

/// What an IAM token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    /// A project, by id.
    ProjectId(String),
    /// A project, by name (the region name for a region's default project, e.g. `cn-north-4`).
    ProjectName(String),
    /// The whole account, by domain id.
    DomainId(String),
    /// The whole account, by domain name.
    DomainName(String),
}

/// An IAM user's name and password, exchanged for an IAM token.
#[derive(Clone)]
pub struct PasswordCredentials {
    user_name: String,
    password: SecretString,
    domain_name: String,
    scope: TokenScope,
}

impl PasswordCredentials {
    /// The IAM user `user_name` of account `domain_name`. An empty user name, password,
    /// domain name or scope value is an [`ErrorKind::Config`] error.
    ///
    /// [`ErrorKind::Config`]: codearts_transport::ErrorKind::Config
    pub fn new(
        user_name: impl Into<String>,
        password: impl Into<String>,
        domain_name: impl Into<String>,
        scope: TokenScope,
    ) -> Result<Self, Error> {
        let user_name = required("the IAM user name", user_name.into())?;
        let password = required("the IAM password", password.into())?;
        let domain_name = required("the account (domain) name", domain_name.into())?;
        let scope_value = match &scope {
            TokenScope::ProjectId(v)
            | TokenScope::ProjectName(v)
            | TokenScope::DomainId(v)
            | TokenScope::DomainName(v) => v,
        };
        if scope_value.is_empty() {
            return Err(Error::config("the token scope is empty"));
        }
        Ok(PasswordCredentials {
            user_name,
            password: SecretString::from(password),
            domain_name,
            scope,
        })
    }

    /// The IAM user name.
    pub fn user_name(&self) -> &str {
        &self.user_name
    }

    /// The IAM password.
    pub fn password(&self) -> &SecretString {
        &self.password
    }

    /// The account (domain) name the user belongs to.
    pub fn domain_name(&self) -> &str {
        &self.domain_name
    }

    /// What the token is scoped to.
    pub fn scope(&self) -> &TokenScope {
        &self.scope
    }
}

impl fmt::Debug for PasswordCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordCredentials")
            .field("user_name", &self.user_name)
            .field("password", &Redacted)
            .field("domain_name", &self.domain_name)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Any of the ways to authenticate.
#[derive(Clone)]
pub enum Credentials {
    /// Sign every request with an access key pair.
    AkSk(AkSkCredentials),
    /// Exchange a user name and password for an IAM token, sent as `X-Auth-Token`.
    Password(PasswordCredentials),
    /// Send a caller-supplied IAM token as `X-Auth-Token`.
    Token(SecretString),
}

impl Credentials {
    /// A caller-supplied IAM token; an empty token is an [`ErrorKind::Config`] error.
    ///
    /// [`ErrorKind::Config`]: codearts_transport::ErrorKind::Config
    pub fn token(token: impl Into<String>) -> Result<Self, Error> {
        let token = required("the IAM token", token.into())?;
        Ok(Credentials::Token(SecretString::from(token)))
    }

    /// A short name of the kind of credentials, for logs and error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::AkSk(_) => "AK/SK",
            Credentials::Password(_) => "password",
            Credentials::Token(_) => "token",
        }
    }
}

impl From<AkSkCredentials> for Credentials {
    fn from(c: AkSkCredentials) -> Self {
        Credentials::AkSk(c)
    }
}

impl From<PasswordCredentials> for Credentials {
    fn from(c: PasswordCredentials) -> Self {
        Credentials::Password(c)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AkSk(c) => f.debug_tuple("AkSk").field(c).finish(),
            Credentials::Password(c) => f.debug_tuple("Password").field(c).finish(),
            Credentials::Token(_) => f.debug_tuple("Token").field(&Redacted).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codearts_transport::ErrorKind;
    use secrecy::ExposeSecret;

    fn same_secret(a: &SecretString, b: &str) -> bool {
        a.expose_secret() == b
    }

    #[test]
    fn empty_keys_are_config_errors() {
        assert_eq!(
            AkSkCredentials::new("", "sk").unwrap_err().kind(),
            ErrorKind::Config
        );
        assert_eq!(
            AkSkCredentials::new("ak", "").unwrap_err().kind(),
            ErrorKind::Config
        );
        let err = PasswordCredentials::new("u", "p", "d", TokenScope::ProjectId(String::new()))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(
            Credentials::token("").unwrap_err().kind(),
            ErrorKind::Config
        );
    }

    #[test]
    fn extras_are_kept_and_empty_ones_dropped() {
        let c = AkSkCredentials::new("AK", "SK")
            .unwrap()
            .with_security_token("")
            .with_project_id("p")
            .with_domain_id("");
        assert_eq!(c.ak(), "AK");
        assert!(c.security_token().is_none());
        assert_eq!(c.project_id(), Some("p"));
        assert_eq!(c.domain_id(), None);
        assert!(same_secret(c.sk(), "SK"));
    }
}
