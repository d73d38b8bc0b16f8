//! Authentication for codearts-rs.
#![warn(missing_docs)]

pub mod credentials;
pub mod signer;

pub use credentials::{AkSkCredentials, Credentials, PasswordCredentials, TokenScope};
pub use signer::{sign, Signature, SigningRequest};
