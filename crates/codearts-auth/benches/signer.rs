//! Signing the two seed requests, beside the floor: the SHA-256 and HMAC-SHA256 that any
//! signer must compute over the same bytes (ring, with the key schedule precomputed).
//!
//! `cargo bench -p codearts-auth --bench signer` prints, before criterion's figures, the heap
//! allocations of one `sign()` of each request (a counting global allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codearts_auth::signer::{sign, SigningRequest};
use codearts_auth::AkSkCredentials;
use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue, Uri};
use ring::{digest, hmac};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const AK: &str = "QTWAOYTTINDUT2QVKYUC";
const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";

struct Seed {
    name: &'static str,
    method: &'static str,
    uri: Uri,
    headers: HeaderMap,
}

fn seeds() -> Vec<Seed> {
    let mut json = HeaderMap::new();
    json.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    vec![
        Seed {
            name: "refuse (POST)",
            method: "POST",
            uri: "https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com/v5/0123456789abcdef0123456789abcdef/api/pipelines/p1/pipeline-runs/r1/jobs/j1/steps/s1/refuse?approval_description=the%20release%20notes%20are%20missing".parse().unwrap(),
            headers: json,
        },
        Seed {
            name: "permission (GET)",
            method: "GET",
            uri: "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com/v1/job/permission?job_id=4567&project_id=0123".parse().unwrap(),
            headers: HeaderMap::new(),
        },
    ]
}

fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_732_341_981)
}

fn bench(c: &mut Criterion) {
    let credentials = AkSkCredentials::new(AK, SK).unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, SK.as_bytes());
    for seed in seeds() {
        let request = SigningRequest {
            method: seed.method,
            uri: &seed.uri,
            headers: &seed.headers,
            body: b"",
        };
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let signature = sign(&request, &credentials, time()).unwrap();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        println!("sign() {}: {allocations} heap allocations", seed.name);

        let canonical = signature.canonical_request.clone();
        let to_sign = signature.string_to_sign.clone();
        let floor = || {
            let hash = digest::digest(&digest::SHA256, black_box(canonical.as_bytes()));
            let tag = hmac::sign(&key, black_box(to_sign.as_bytes()));
            black_box((hash, tag));
        };
        let signer = || {
            black_box(sign(black_box(&request), &credentials, time()).unwrap());
        };
        println!(
            "sign() {}: {:.2}x the floor (median of interleaved rounds)",
            seed.name,
            interleaved_ratio(signer, floor)
        );
        let mut group = c.benchmark_group(seed.name);
        group.bench_function("sign", |b| {
            b.iter(|| sign(black_box(&request), &credentials, time()).unwrap())
        });
        group.bench_function("floor (sha256 + hmac of the same bytes)", |b| b.iter(floor));
        group.finish();
    }
}

/// The median over rounds of (time of `a`) / (time of `b`), the two run back to back in each
/// round, so that load on a shared machine weighs on both sides alike.
fn interleaved_ratio(mut a: impl FnMut(), mut b: impl FnMut()) -> f64 {
    const ROUNDS: usize = 4001;
    const BATCH: usize = 100;
    let mut ratios = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = std::time::Instant::now();
        for _ in 0..BATCH {
            a();
        }
        let ta = start.elapsed();
        let start = std::time::Instant::now();
        for _ in 0..BATCH {
            b();
        }
        let tb = start.elapsed();
        ratios.push(ta.as_secs_f64() / tb.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    ratios[ROUNDS / 2]
}

criterion_group!(benches, bench);
criterion_main!(benches);
