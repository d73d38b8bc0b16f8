//! An async client for Huawei Cloud CodeArts Pipeline: all 100 operations of the service,
//! generated from the checked-in spec, with AK/SK signing or IAM tokens, typed errors, and a
//! stub trait to mock in unit tests.
//!
//! ```no_run
//! use codearts_pipeline::PipelineClient;
//! use codearts_pipeline::model::RejectManualReviewRequest;
//!
//! # async fn run() -> codearts_pipeline::Result<()> {
//! // Credentials come from the environment (HUAWEICLOUD_SDK_AK / _SK) or the profile file.
//! let client = PipelineClient::builder().region("cn-north-4").build()?;
//! let request = RejectManualReviewRequest::new(
//!     "project-id", "pipeline-id", "pipeline-run-id", "job-run-id", "step-run-id",
//! )
//! .set_approval_description("the release notes are missing");
//! let response = client.reject_manual_review(request).await?;
//! println!("refused: {:?}", response.success);
//! # Ok(())
//! # }
//! ```
//!
//! Every method's errors are [`Error`]s: ask them for [`Error::kind`], [`Error::status`],
//! [`Error::request_id`], [`Error::error_code`] and [`Error::error_msg`].
#![warn(missing_docs)]

mod generated;

pub use codearts_auth::{AkSkCredentials, Credentials};
pub use codearts_model::pipeline as model;
pub use codearts_runtime::ClientBuilder;
pub use codearts_transport::{Error, ErrorKind};
pub use generated::client::PipelineClient;
pub use generated::regions::REGIONS;

/// The trait behind [`PipelineClient`], to implement or mock in tests.
pub mod stub {
    pub use crate::generated::stub::Pipeline;
}

/// The result of every operation.
pub type Result<T> = std::result::Result<T, Error>;

/// The error a stub method returns when its implementation does not provide it.
pub(crate) fn unimplemented(operation: &str) -> Error {
    Error::new(
        ErrorKind::Unimplemented,
        format!("`{operation}` is not implemented by this stub"),
    )
}

/// The mocking guide's examples run as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/mocking.md")]
struct MockingGuide;
