//! Request and response types of Huawei Cloud CodeArts Pipeline, CodeArts Build and IAM.
//!
//! Generated from `spec/` by `cargo xtask codegen`; one feature per service (`pipeline`,
//! `build`, `iam`), so a program that drives one service compiles none of the others' types.
//!
//! Every type is `#[non_exhaustive]`: build one with `new` (whose arguments are the required
//! fields) and the `set_*` methods. Response fields are `Option`s that tolerate absence, and
//! unknown fields are ignored, so a service that adds fields breaks nothing.
//!
//! ```
//! # #[cfg(feature = "pipeline")] {
//! use codearts_model::pipeline::{RejectManualReviewRequest, RejectManualReviewResponse};
//!
//! let request = RejectManualReviewRequest::new("project", "pipeline", "run", "job-run", "step-run")
//!     .set_approval_description("failed the security scan");
//! assert_eq!(request.approval_description.as_deref(), Some("failed the security scan"));
//!
//! let response: RejectManualReviewResponse = serde_json::from_str(r#"{"success":true,"new":1}"#)?;
//! assert_eq!(response.success, Some(true));
//! # }
//! # Ok::<(), serde_json::Error>(())
//! ```
#![warn(missing_docs)]

use std::fmt;

#[cfg(feature = "build")]
#[path = "generated/build.rs"]
pub mod build;
#[cfg(feature = "iam")]
#[path = "generated/iam.rs"]
pub mod iam;
#[cfg(feature = "pipeline")]
#[path = "generated/pipeline.rs"]
pub mod pipeline;

/// A file sent in a multipart form: its name, optional content type and bytes.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilePart {
    /// The file name the service sees.
    pub file_name: String,
    /// The part's `Content-Type`; when unset the part carries none, as the official SDK sends
    /// it (servers take such a part as `application/octet-stream`).
    pub content_type: Option<String>,
    /// The file's bytes.
    pub data: Vec<u8>,
}

impl FilePart {
    /// A file part with a name and its bytes.
    pub fn new(file_name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        FilePart {
            file_name: file_name.into(),
            content_type: None,
            data: data.into(),
        }
    }

    /// Sets the part's `Content-Type`.
    pub fn set_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.data.len())
            .finish()
    }
}

/// What `Debug` prints instead of a secret, everywhere in codearts-rs.
pub const REDACTED: &str = "** redacted **";

/// Prints [`REDACTED`] in place of a secret value in `Debug` output: the one redaction
/// helper of the SDK (models, credentials, signatures).
#[derive(Clone, Copy)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}
