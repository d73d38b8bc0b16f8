//! The servers, each run in a child process of the benchmark (`codearts-bench serve <kind>`)
//! so that their CPU time and memory can be read apart from the client's.
//!
//! A child prints `LISTEN <addr>` on stdout once it accepts connections, and exits when its
//! standard input closes (the benchmark ended or died) or after [`MAX_LIFETIME`].

use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

/// A server child never outlives this, even when nobody closes its input.
pub const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The path of the minimal server's counters; every other path is an operation.
pub const STATS_PATH: &str = "/__bench/stats";

/// The build job the emulator is seeded with, for `show_project_job_permission`.
pub const BENCH_JOB_ID: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";

/// The answer of `show_project_job_permission`, shaped like the emulator's.
const PERMISSION: &str = r#"{"result":{"role_id":3,"job_id":"b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0","is_modify":true,"is_delete":true,"is_view":true,"is_execute":true,"is_copy":true,"is_forbidden":false,"is_manager":true,"last_update_time":"1764082800000","count":1},"status":"success"}"#;

static ACCEPTS: AtomicU64 = AtomicU64::new(0);
static REQUESTS: AtomicU64 = AtomicU64::new(0);
static CAPTURE: AtomicBool = AtomicBool::new(true);
static CAPTURED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Runs the child for `kind` (`minimal` or `emulator`) until its input closes.
pub fn run(kind: &str) -> Result<(), String> {
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
    std::thread::spawn(|| {
        std::thread::sleep(MAX_LIFETIME);
        eprintln!("codearts-bench server: lifetime over, exiting");
        std::process::exit(0);
    });
    // Both servers get the same runtime: one worker per core, as a default tokio server has.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async {
        match kind {
            "minimal" => minimal().await,
            "emulator" => emulator().await,
            other => Err(format!("unknown server kind `{other}`")),
        }
    })
}

fn announce(addr: SocketAddr) {
    println!("LISTEN {addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

async fn minimal() -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    announce(listener.local_addr().map_err(|e| e.to_string())?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors and the like: say so, keep serving.
                eprintln!("codearts-bench minimal server: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        ACCEPTS.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(answer);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    if path == STATS_PATH {
        return Ok(json(stats()));
    }
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    if CAPTURE.swap(false, Ordering::Relaxed) {
        *CAPTURED.lock().unwrap_or_else(|e| e.into_inner()) = request
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
    }
    // Read the body so that the connection stays reusable.
    let _ = request.into_body().collect().await;
    let body = if path.ends_with("/refuse") {
        r#"{"success":true}"#.to_owned()
    } else if path == "/v1/job/permission" {
        PERMISSION.to_owned()
    } else {
        "{}".to_owned()
    };
    Ok(json(body))
}

fn json(body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The counters, and the headers of the first request since the last look (which arms the
/// capture again).
fn stats() -> String {
    let headers = std::mem::take(&mut *CAPTURED.lock().unwrap_or_else(|e| e.into_inner()));
    CAPTURE.store(true, Ordering::Relaxed);
    serde_json::json!({
        "accepts": ACCEPTS.load(Ordering::Relaxed),
        "requests": REQUESTS.load(Ordering::Relaxed),
        "headers": headers,
    })
    .to_string()
}

async fn emulator() -> Result<(), String> {
    use codearts_emulator::fixture::{Fixture, SeedBuildJob, DEMO_PROJECT_ID};
    let mut fixture = Fixture::demo();
    fixture.build_jobs.push(SeedBuildJob {
        id: Some(BENCH_JOB_ID.to_owned()),
        project_id: DEMO_PROJECT_ID.to_owned(),
        job_name: "bench".to_owned(),
    });
    let handle = codearts_emulator::Emulator::builder()
        .fixture(fixture)
        .start()
        .await
        .map_err(|e| format!("emulator: {e}"))?;
    announce(handle.addr());
    handle.wait().await;
    Ok(())
}
