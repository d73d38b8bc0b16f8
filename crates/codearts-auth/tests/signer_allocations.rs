//! The signer's heap allocations, counted: signing the two seed requests takes at most 8.
//!
//! A counting global allocator sees every allocation of this test binary; the count is taken
//! on this thread only, around one call, so it is exact and does not depend on timing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, UNIX_EPOCH};

use codearts_auth::signer::{sign, SigningRequest};
use codearts_auth::AkSkCredentials;
use http::{HeaderMap, HeaderValue, Uri};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn count(method: &str, url: &str, content_type: Option<&str>, body: &[u8]) -> usize {
    let credentials = AkSkCredentials::new(
        "QTWAOYTTINDUT2QVKYUC",
        "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
    )
    .unwrap();
    let uri: Uri = url.parse().unwrap();
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_str(ct).unwrap(),
        );
    }
    let request = SigningRequest {
        method,
        uri: &uri,
        headers: &headers,
        body,
    };
    let time = UNIX_EPOCH + Duration::from_secs(1_732_341_981);
    let mut signature = None;
    let n = allocations_of(|| signature = Some(sign(&request, &credentials, time).unwrap()));
    // The result is real: it carries the Authorization header.
    assert!(signature.unwrap().authorization().is_some());
    n
}

#[test]
fn seed_requests_sign_in_at_most_eight_allocations() {
    let refuse = count(
        "POST",
        "https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com/v5/0123456789abcdef0123456789abcdef/api/pipelines/p1/pipeline-runs/r1/jobs/j1/steps/s1/refuse?approval_description=the%20release%20notes%20are%20missing",
        Some("application/json"),
        b"",
    );
    let permission = count(
        "GET",
        "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com/v1/job/permission?job_id=4567&project_id=0123",
        None,
        b"",
    );
    assert!(refuse <= 8, "refuse: {refuse} allocations");
    assert!(permission <= 8, "permission: {permission} allocations");
}
