//! No `Debug` output of a type holding a secret shows the secret.

mod common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use codearts_auth::{
    sign, AkSkCredentials, AuthLayer, Credentials, CredentialsChain, PasswordCredentials,
    SigningRequest, TokenProvider, TokenScope,
};
use codearts_transport::{Bytes, Endpoint};
use common::{iam_ok, Fake};
use secrecy::SecretString;

const SK: &str = "SECRET-sk-0123456789";
const STS: &str = "SECRET-sts-token";
const PASSWORD: &str = "SECRET-password";
const TOKEN: &str = "SECRET-iam-token";
const SECRETS: [&str; 4] = [SK, STS, PASSWORD, TOKEN];

fn assert_redacted(what: &str, debug: String) {
    for secret in SECRETS {
        assert!(!debug.contains(secret), "{what} leaks `{secret}`: {debug}");
    }
    assert!(debug.contains("** redacted **"), "{what}: {debug}");
}

fn aksk() -> AkSkCredentials {
    AkSkCredentials::new("AK", SK)
        .unwrap()
        .with_security_token(STS)
}

fn password() -> PasswordCredentials {
    PasswordCredentials::new(
        "alice",
        PASSWORD,
        "acme",
        TokenScope::DomainName("acme".into()),
    )
    .unwrap()
}

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    assert_redacted("AkSkCredentials", format!("{:?}", aksk()));
    assert_redacted("PasswordCredentials", format!("{:?}", password()));
    assert_redacted(
        "Credentials::AkSk",
        format!("{:?}", Credentials::AkSk(aksk())),
    );
    assert_redacted(
        "Credentials::Password",
        format!("{:?}", Credentials::Password(password())),
    );
    assert_redacted(
        "Credentials::Token",
        format!("{:?}", Credentials::token(TOKEN).unwrap()),
    );
    assert_redacted(
        "CredentialsChain",
        format!(
            "{:?}",
            CredentialsChain::new().with_credentials(Credentials::AkSk(aksk()))
        ),
    );

    // A provider holding a fetched token.
    let fake = Arc::new(Fake::new(|_, _| iam_ok(TOKEN, "2099-01-01T00:00:00Z")));
    let provider = Arc::new(TokenProvider::new(
        password(),
        Endpoint::parse("https://iam.example.com").unwrap(),
        fake.clone(),
    ));
    provider.token().await.unwrap();
    assert_redacted("TokenProvider", format!("{provider:?}"));

    assert_redacted(
        "AuthLayer (AK/SK)",
        format!("{:?}", AuthLayer::signing(aksk(), fake.clone())),
    );
    assert_redacted(
        "AuthLayer (IAM)",
        format!("{:?}", AuthLayer::iam_token(provider, fake.clone())),
    );
    assert_redacted(
        "AuthLayer (static)",
        format!(
            "{:?}",
            AuthLayer::static_token(SecretString::from(TOKEN), fake)
        ),
    );

    // A signature never holds the SK; the security token it carries is redacted.
    let request = http::Request::get("https://h.example.com/x")
        .body(Bytes::new())
        .unwrap();
    let sig = sign(
        &SigningRequest::from_request(&request),
        &aksk(),
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    )
    .unwrap();
    assert_redacted("Signature", format!("{sig:?}"));
    assert!(!sig.canonical_request.contains(SK));
    assert!(!sig.string_to_sign.contains(SK));
}
