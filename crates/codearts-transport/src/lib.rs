//! The HTTP layer of codearts-rs.
//!
//! Everything the SDK sends goes through one object-safe trait, [`HttpClient`]: the default
//! [`ReqwestClient`], the auth layer of `codearts-auth`, retry layers and test mocks all
//! implement it and wrap one another. This crate also holds the one [`Error`] type, the parser
//! for the services' error bodies, percent-encoding rules and the small routine facades use to
//! send an operation and decode its answer. It knows nothing of credentials.
//!
//! ```
//! use codearts_transport::{execute, Endpoint, HttpClient, OperationRequest, DEFAULT_BODY_LIMIT};
//! use http::Method;
//!
//! async fn permission(client: &dyn HttpClient) -> Result<serde_json::Value, codearts_transport::Error> {
//!     let endpoint = Endpoint::parse("https://cloudbuild-ext.cn-north-4.myhuaweicloud.com")?;
//!     let request = OperationRequest::new(Method::GET, "/v1/job/permission")
//!         .query("project_id", "0123")
//!         .query("job_id", "4567")
//!         .into_request(&endpoint)?;
//!     execute(client, request, DEFAULT_BODY_LIMIT).await?.json()
//! }
//! ```
#![warn(missing_docs)]

mod body;
pub mod call;
mod client;
pub mod encoding;
mod error;
pub mod error_body;
pub mod multipart;
mod operation;
pub mod options;
pub mod paging;
pub mod redirect;
#[cfg(feature = "reqwest")]
mod reqwest_client;
pub mod retry;
pub mod retry_after;
mod service;

pub use body::{Body, ByteStream};
pub use call::Call;
#[cfg(any(test, feature = "mock"))]
pub use client::MockHttpClient;
pub use client::{clone_request, HttpClient, Request, Response, SharedHttpClient};
pub use error::{request_id_of, BoxError, Error, ErrorKind, BODY_SNIPPET_LEN};
pub use operation::{
    decode_json, execute, execute_streaming, Endpoint, OperationRequest, RawResponse,
    StreamingResponse, DEFAULT_BODY_LIMIT,
};
pub use options::RequestOptions;
pub use redirect::Anonymous;
#[cfg(feature = "reqwest")]
pub use reqwest_client::{
    ReqwestClient, ReqwestClientBuilder, DEFAULT_MAX_IN_FLIGHT, DEFAULT_USER_AGENT,
};
pub use retry::{Backoff, RetryBudget, RetryConfig, RetryLayer, RetryPolicy, StandardRetryPolicy};
pub use service::{Region, ServiceHttp};

pub use bytes::Bytes;
pub use http;
