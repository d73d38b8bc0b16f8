//! Authentication for codearts-rs.
//!
//! - [`signer`]: `SDK-HMAC-SHA256` request signing as a pure function, byte-identical to the
//!   official Huawei Cloud signers.
//! - [`credentials`]: AK/SK pairs, IAM user passwords and caller-supplied tokens, with every
//!   secret redacted in `Debug`.
//! - [`chain`]: finding credentials given explicitly, in the environment or in the official
//!   profile file.
//! - [`token`]: IAM tokens obtained with a password, cached and refreshed ahead of expiry.
//! - [`layer`]: [`AuthLayer`], an [`HttpClient`](codearts_transport::HttpClient) that
//!   authenticates every request it passes on.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! use codearts_auth::{sign, AkSkCredentials, AuthLayer, SigningRequest};
//! use codearts_transport::{Bytes, SharedHttpClient};
//!
//! # fn main() -> Result<(), codearts_transport::Error> {
//! let credentials = AkSkCredentials::new("MY_AK", "MY_SK")?;
//!
//! // Signing is a pure function of the request, the key pair and the time.
//! let request = http::Request::get(
//!     "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com/v1/job/permission?project_id=p&job_id=j",
//! )
//! .body(Bytes::new())
//! .unwrap();
//! let time = UNIX_EPOCH + Duration::from_secs(1_732_341_981);
//! let signature = sign(&SigningRequest::from_request(&request), &credentials, time)?;
//! assert!(signature.string_to_sign.starts_with("SDK-HMAC-SHA256\n20241123T060621Z\n"));
//! assert_eq!(signature.signed_headers, "host;x-sdk-date");
//!
//! // In a client, the layer signs every request on its way out.
//! fn authenticated(inner: SharedHttpClient, credentials: AkSkCredentials) -> SharedHttpClient {
//!     Arc::new(AuthLayer::signing(credentials, inner))
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod chain;
pub mod clock;
pub mod credentials;
mod iam_regions;
pub mod layer;
pub mod signer;
pub mod token;
pub mod verify;

pub use chain::{CredentialsChain, CredentialsSource, ResolvedCredentials};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use credentials::{AkSkCredentials, Credentials, PasswordCredentials, TokenScope};
pub use layer::AuthLayer;
pub use signer::{sign, Signature, SigningRequest};
pub use token::{iam_endpoint_for_region, TokenProvider};
