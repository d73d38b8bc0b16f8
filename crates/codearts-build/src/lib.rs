//! An async client for Huawei Cloud CodeArts Build: all 135 operations of the service,
//! generated from the checked-in spec, with AK/SK signing or IAM tokens, typed errors, and a
//! stub trait to mock in unit tests.
//!
//! ```no_run
//! use codearts_build::BuildClient;
//! use codearts_build::model::ShowProjectJobPermissionRequest;
//!
//! # async fn run() -> codearts_build::Result<()> {
//! // Credentials come from the environment (HUAWEICLOUD_SDK_AK / _SK) or the profile file.
//! let client = BuildClient::builder().region("cn-north-4").build()?;
//! let request = ShowProjectJobPermissionRequest::new("project-id", "job-id");
//! let response = client.show_project_job_permission(request).await?;
//! if let Some(matrix) = response.result {
//!     println!("may run the job: {:?}", matrix.is_execute);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every method's errors are [`Error`]s: ask them for [`Error::kind`], [`Error::status`],
//! [`Error::request_id`], [`Error::error_code`] and [`Error::error_msg`].
#![warn(missing_docs)]

mod generated;

pub use codearts_auth::{AkSkCredentials, Credentials};
pub use codearts_model::build as model;
pub use codearts_runtime::ClientBuilder;
pub use codearts_transport::{Error, ErrorKind};
pub use generated::client::BuildClient;
pub use generated::regions::REGIONS;

/// The trait behind [`BuildClient`], to implement or mock in tests.
pub mod stub {
    pub use crate::generated::stub::Build;
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
