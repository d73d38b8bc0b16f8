//! The client runtime of codearts-rs.
//!
//! Service crates (`codearts-pipeline`, `codearts-build`) are thin generated facades; this crate
//! is what they share to become a working client: [`ClientBuilder`] resolves the endpoint and
//! the credentials, builds (or takes) the HTTP client and stacks the layers — retry over auth
//! over HTTP — bound to the service endpoint. [`UntypedClient`] sends requests the spec does
//! not describe through that same stack. [`poll`] is the generic poller the facades' waiters
//! share.
//!
//! Users normally reach these types through a service crate (`codearts_pipeline::config`); the
//! crate exists so that `codearts-auth` knows only about credentials and signing, as
//! google-cloud-rust's `gax` sits between its auth crate and its generated clients.
#![warn(missing_docs)]

mod builder;
pub mod poll;
mod untyped;

pub use builder::{ClientBuilder, ServiceClient};
pub use untyped::UntypedClient;
