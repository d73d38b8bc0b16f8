//! Any bytes a service could send as a success body decode into a typed response or a typed
//! error: never a panic.
#![no_main]

use codearts_model::{build, iam, pipeline};
use codearts_transport::decode_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_json::<pipeline::ListPipelinesResponse>(data);
    let _ = decode_json::<pipeline::ShowPipelineRunDetailResponse>(data);
    let _ = decode_json::<pipeline::RejectManualReviewResponse>(data);
    let _ = decode_json::<build::ShowProjectJobPermissionResponse>(data);
    let _ = decode_json::<build::ShowJobStatusResponse>(data);
    let _ = decode_json::<iam::KeystoneCreateUserTokenByPasswordResponse>(data);
    if let Err(error) = decode_json::<build::ListProjectJobsResponse>(data) {
        // The error keeps a bounded snippet of what it could not read.
        let snippet = error.body_snippet().unwrap_or_default();
        assert!(snippet.len() <= codearts_transport::BODY_SNIPPET_LEN * 4 + 3);
        let _ = error.to_string();
    }
});
