//! `codearts-bench`: the end-to-end benchmark of codearts-rs, run with `cargo xtask bench`.
//!
//! It starts a minimal hyper server and the emulator, each in a child process, and measures
//! in interleaved rounds:
//! - the facade (`PipelineClient::reject_manual_review`, AK/SK, signing every call) against
//!   bare reqwest sending the same request signed once, at 1 and 64 calls in flight;
//! - the emulator against the minimal server for the signed `show_project_job_permission` at
//!   64 in flight, the emulator's memory after a first and a tenfold number of requests;
//! - the official Python SDK, when it is installed.
//!
//! It prints a table and writes JSON. Nothing here is a test: it reports, it asserts nothing.

mod alloc;
mod child;
mod load;
mod report;
mod serve;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use codearts_build::model::ShowProjectJobPermissionRequest;
use codearts_build::BuildClient;
use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
use codearts_pipeline::config::{AkSkCredentials, Credentials};
use codearts_pipeline::model::RejectManualReviewRequest;
use codearts_pipeline::PipelineClient;
use serde_json::{json, Value};

use child::ServerChild;
use load::{Batch, Limits};
use report::{Side, Table};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

// The seed request of `reject_manual_review` (no description: an empty query and body).
const PROJECT: &str = "d80a8a6530324b7bac972cbb8a9f28ec";
const PIPELINE: &str = "8bfbd69eac154a0da341705a36294aca";
const RUN: &str = "12abeb9da0964cf3bd3ffd6813153e12";
const JOB_RUN: &str = "97b4991cf3374d8d96e08b38f79c8827";
const STEP_RUN: &str = "6ff8e898026447a9a3eaa592e94b9384";

const USAGE: &str = "usage: codearts-bench [--quick] [--rounds N] [--calls N] [--max-batch-secs S]
                      [--memory FIRST TOTAL] [--python-calls N] [--no-python] [--out FILE]
       codearts-bench serve minimal|emulator   (a server child; used by the benchmark itself)";

/// What to run.
#[derive(Debug, Clone)]
struct Options {
    quick: bool,
    rounds: usize,
    calls: usize,
    max_batch: Duration,
    memory_first: usize,
    memory_total: usize,
    python: bool,
    python_calls: usize,
    out: PathBuf,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = if quick {
            Options {
                quick,
                rounds: 1,
                calls: 500,
                max_batch: Duration::from_secs(10),
                memory_first: 1_000,
                memory_total: 5_000,
                python: true,
                python_calls: 50,
                out: PathBuf::from("target/bench/e2e.json"),
            }
        } else {
            Options {
                quick,
                rounds: 5,
                calls: 20_000,
                max_batch: Duration::from_secs(30),
                memory_first: 20_000,
                memory_total: 200_000,
                python: true,
                python_calls: 1_000,
                out: PathBuf::from("target/bench/e2e.json"),
            }
        };
        let mut it = args.iter();
        let number = |v: Option<&String>, what: &str| -> Result<usize, String> {
            v.and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{what} wants a positive number\n{USAGE}"))
        };
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--quick" => {}
                "--rounds" => o.rounds = number(it.next(), "--rounds")?,
                "--calls" => o.calls = number(it.next(), "--calls")?,
                "--max-batch-secs" => {
                    o.max_batch = Duration::from_secs(number(it.next(), "--max-batch-secs")? as u64)
                }
                "--memory" => {
                    o.memory_first = number(it.next(), "--memory")?;
                    o.memory_total = number(it.next(), "--memory")?;
                    if o.memory_total < o.memory_first {
                        return Err("--memory FIRST TOTAL wants FIRST <= TOTAL".to_owned());
                    }
                }
                "--python-calls" => o.python_calls = number(it.next(), "--python-calls")?,
                "--no-python" => o.python = false,
                "--out" => o.out = it.next().ok_or(USAGE)?.into(),
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        Ok(o)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("serve") {
        serve::run(args.get(1).map_or("", String::as_str))
    } else {
        Options::parse(&args).and_then(bench)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("codearts-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn bench(options: Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let load_start = stats::loadavg();
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    eprintln!(
        "codearts-bench: {} mode, load average {load_start}",
        if options.quick { "quick" } else { "full" }
    );

    let minimal = ServerChild::start("minimal")?;
    let mut table = Table::default();
    let facade_vs_bare = runtime.block_on(facade_vs_bare(&options, &minimal, &mut table))?;
    let emulator = runtime.block_on(emulator_vs_minimal(&options, &minimal, &mut table))?;
    let memory = runtime.block_on(emulator_memory(&options, &mut table))?;
    let python = if options.python {
        python_sdk(&options, &minimal, &facade_vs_bare, &mut table)
    } else {
        Value::Null
    };
    drop(minimal);

    let load_end = stats::loadavg();
    let document = json!({
        "date": date,
        "mode": if options.quick { "quick" } else { "full" },
        "machine": report::machine(),
        "load_average_start": load_start,
        "load_average_end": load_end,
        "options": {
            "rounds": options.rounds,
            "calls_per_batch": options.calls,
            "max_batch_secs": options.max_batch.as_secs(),
            "memory_requests": [options.memory_first, options.memory_total],
        },
        "facade_vs_bare": facade_vs_bare,
        "emulator_vs_minimal": emulator,
        "emulator_memory": memory,
        "python_sdk": python,
    });

    println!("{}", table.render());
    println!("load average: {load_start} at the start, {load_end} at the end");
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
    std::fs::write(&options.out, text + "\n")
        .map_err(|e| format!("{}: {e}", options.out.display()))?;
    println!("written: {}", options.out.display());
    Ok(())
}

fn seed_request() -> RejectManualReviewRequest {
    RejectManualReviewRequest::new(PROJECT, PIPELINE, RUN, JOB_RUN, STEP_RUN)
}

fn credentials() -> Result<AkSkCredentials, String> {
    AkSkCredentials::new(DEMO_AK, DEMO_SK).map_err(|e| e.to_string())
}

fn pipeline_client(url: &str) -> Result<PipelineClient, String> {
    PipelineClient::builder()
        .endpoint(url)
        .credentials(Credentials::AkSk(credentials()?))
        .build()
        .map_err(|e| format!("facade: {e}"))
}

fn build_client(url: &str) -> Result<BuildClient, String> {
    BuildClient::builder()
        .endpoint(url)
        .credentials(Credentials::AkSk(credentials()?))
        .build()
        .map_err(|e| format!("facade: {e}"))
}

/// A batch of the facade's `reject_manual_review`, on a client of its own.
async fn facade_batch(url: &str, limits: Limits) -> Result<Batch, String> {
    let client = Arc::new(pipeline_client(url)?);
    Ok(load::run(limits, move || {
        let client = Arc::clone(&client);
        async move { client.reject_manual_review(seed_request()).await.is_ok() }
    })
    .await)
}

/// A batch of `show_project_job_permission` through the build facade, on a client of its own.
async fn permission_batch(url: &str, limits: Limits) -> Result<Batch, String> {
    let client = Arc::new(build_client(url)?);
    Ok(load::run(limits, move || {
        let client = Arc::clone(&client);
        async move {
            client
                .show_project_job_permission(ShowProjectJobPermissionRequest::new(
                    DEMO_PROJECT_ID,
                    serve::BENCH_JOB_ID,
                ))
                .await
                .is_ok()
        }
    })
    .await)
}

/// The facade's request, signed once, for bare reqwest to send again and again: the headers
/// the facade sent (as the minimal server saw them) less those signing and reqwest set, signed
/// over the same header names the facade signed, the others added after signing.
fn presigned(url: &str, facade_headers: &[(String, String)]) -> Result<reqwest::Request, String> {
    use http::header::{HeaderName, HeaderValue};
    let path = format!(
        "/v5/{PROJECT}/api/pipelines/{PIPELINE}/pipeline-runs/{RUN}/jobs/{JOB_RUN}/steps/{STEP_RUN}/refuse"
    );
    let uri: http::Uri = format!("{url}{path}")
        .parse()
        .map_err(|e| format!("uri: {e}"))?;
    let signed_names: Option<Vec<String>> = facade_headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .and_then(|(_, value)| signed_header_names(value));
    let (mut signed, mut unsigned) = (http::HeaderMap::new(), http::HeaderMap::new());
    for (name, value) in facade_headers {
        if matches!(
            name.as_str(),
            "authorization" | "x-sdk-date" | "host" | "content-length"
        ) {
            continue;
        }
        let is_signed = signed_names
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name));
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
        let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
        if is_signed {
            &mut signed
        } else {
            &mut unsigned
        }
        .append(name, value);
    }
    let signing = codearts_auth::SigningRequest {
        method: "POST",
        uri: &uri,
        headers: &signed,
        body: &[],
    };
    let signature = codearts_auth::sign(&signing, &credentials()?, SystemTime::now())
        .map_err(|e| format!("sign: {e}"))?;
    signature.apply(&mut signed);
    for (name, value) in &unsigned {
        signed.append(name.clone(), value.clone());
    }
    let url = reqwest::Url::parse(&uri.to_string()).map_err(|e| e.to_string())?;
    let mut request = reqwest::Request::new(reqwest::Method::POST, url);
    *request.headers_mut() = signed;
    Ok(request)
}

/// The `SignedHeaders=` list of an `SDK-HMAC-SHA256` authorization value.
fn signed_header_names(authorization: &str) -> Option<Vec<String>> {
    let list = authorization.split("SignedHeaders=").nth(1)?;
    let list = list.split(',').next()?.trim();
    Some(list.split(';').map(str::to_owned).collect())
}

/// A batch of bare reqwest sending `template` again and again, on a client of its own.
async fn bare_batch(template: &reqwest::Request, limits: Limits) -> Result<Batch, String> {
    let client = reqwest::Client::new();
    let template = Arc::new(template.try_clone().ok_or("the request cannot be cloned")?);
    Ok(load::run(limits, move || {
        let (client, template) = (client.clone(), Arc::clone(&template));
        async move {
            let Some(request) = template.try_clone() else {
                return false;
            };
            match client.execute(request).await {
                Ok(response) => {
                    let ok = response.status().is_success();
                    response.bytes().await.is_ok() && ok
                }
                Err(_) => false,
            }
        }
    })
    .await)
}

/// One measured batch with the connections the minimal server accepted for it.
struct Measured {
    batch: Batch,
    /// Connections the minimal server accepted (none counted for the emulator).
    connections: Option<u64>,
    server_cpu: Option<Duration>,
}

async fn with_connections<Fut>(minimal: &ServerChild, batch: Fut) -> Result<Measured, String>
where
    Fut: std::future::Future<Output = Result<Batch, String>>,
{
    let before = minimal.minimal_stats()?;
    let cpu0 = stats::process_cpu(minimal.pid());
    let batch = batch.await?;
    let cpu1 = stats::process_cpu(minimal.pid());
    let after = minimal.minimal_stats()?;
    let answered = after.requests - before.requests;
    if answered < batch.calls {
        eprintln!(
            "codearts-bench: warning: {} calls completed but the server answered {answered}",
            batch.calls
        );
    }
    Ok(Measured {
        batch,
        // The second look at the counters is itself one accepted connection.
        connections: Some((after.accepts - before.accepts).saturating_sub(1)),
        server_cpu: cpu0.zip(cpu1).map(|(a, b)| b.saturating_sub(a)),
    })
}

async fn facade_vs_bare(
    options: &Options,
    minimal: &ServerChild,
    table: &mut Table,
) -> Result<Value, String> {
    let url = minimal.url();
    let warm = Limits {
        concurrency: 64,
        calls: (options.calls / 10).clamp(100, 2_000),
        max_time: options.max_batch,
    };

    // Warm both paths up (discarded), and learn the facade's headers on the way.
    minimal.minimal_stats()?;
    facade_batch(&url, warm).await?;
    let facade_headers = minimal.minimal_stats()?.headers;
    let template = presigned(&url, &facade_headers)?;
    bare_batch(&template, warm).await?;
    let bare_headers = minimal.minimal_stats()?.headers;
    let same_headers = header_shape(&facade_headers) == header_shape(&bare_headers);
    if !same_headers {
        eprintln!(
            "codearts-bench: warning: bare reqwest does not send the facade's headers\n  facade: {:?}\n  bare:   {:?}",
            header_shape(&facade_headers),
            header_shape(&bare_headers)
        );
    }

    let mut sections = Vec::new();
    for concurrency in [1, 64] {
        let limits = Limits {
            concurrency,
            calls: options.calls,
            max_time: options.max_batch,
        };
        let (mut facade, mut bare) = (Vec::new(), Vec::new());
        for round in 0..options.rounds {
            // Alternate which goes first, so neither always runs on a warmer machine.
            for first in [round % 2 == 0, round % 2 == 1] {
                if first {
                    facade.push(with_connections(minimal, facade_batch(&url, limits)).await?);
                } else {
                    bare.push(with_connections(minimal, bare_batch(&template, limits)).await?);
                }
            }
            eprintln!(
                "codearts-bench: facade vs bare at {concurrency} in flight, round {} done",
                round + 1
            );
        }
        let facade = Side::from_measured("facade", &facade);
        let bare = Side::from_measured("bare reqwest", &bare);
        table.pair(
            &format!("reject_manual_review, {concurrency} in flight"),
            &facade,
            &bare,
        );
        sections.push(json!({
            "concurrency": concurrency,
            "facade": facade.to_json(),
            "bare_reqwest": bare.to_json(),
            "ratios_facade_over_bare": facade.ratios_over(&bare),
        }));
    }
    Ok(json!({
        "operation": "reject_manual_review",
        "same_headers": same_headers,
        "headers_sent": header_shape(&facade_headers),
        "note": "bare reqwest: reqwest::Client::new(), the facade's request signed once, answer read as bytes (not decoded)",
        "by_concurrency": sections,
    }))
}

/// Header names with the values that must match (signature and date values differ by design).
fn header_shape(headers: &[(String, String)]) -> Vec<String> {
    let mut shape: Vec<String> = headers
        .iter()
        .map(|(name, value)| match name.as_str() {
            "authorization" | "x-sdk-date" => name.clone(),
            _ => format!("{name}: {value}"),
        })
        .collect();
    shape.sort();
    shape
}

async fn emulator_vs_minimal(
    options: &Options,
    minimal: &ServerChild,
    table: &mut Table,
) -> Result<Value, String> {
    let emulator = ServerChild::start("emulator")?;
    let limits = Limits {
        concurrency: 64,
        calls: options.calls,
        max_time: options.max_batch,
    };
    let warm = Limits {
        calls: (options.calls / 10).clamp(100, 2_000),
        ..limits
    };
    permission_batch(&emulator.url(), warm).await?;
    permission_batch(&minimal.url(), warm).await?;

    let (mut emu, mut min) = (Vec::new(), Vec::new());
    for round in 0..options.rounds {
        for first in [round % 2 == 0, round % 2 == 1] {
            if first {
                let cpu0 = stats::process_cpu(emulator.pid());
                let batch = permission_batch(&emulator.url(), limits).await?;
                let cpu1 = stats::process_cpu(emulator.pid());
                emu.push(Measured {
                    batch,
                    connections: None,
                    server_cpu: cpu0.zip(cpu1).map(|(a, b)| b.saturating_sub(a)),
                });
            } else {
                min.push(
                    with_connections(minimal, permission_batch(&minimal.url(), limits)).await?,
                );
            }
        }
        eprintln!(
            "codearts-bench: emulator vs minimal server, round {} done",
            round + 1
        );
    }
    let emu = Side::from_measured("emulator", &emu);
    let min = Side::from_measured("minimal server", &min);
    table.pair(
        "show_project_job_permission (facade, signed), 64 in flight",
        &emu,
        &min,
    );
    Ok(json!({
        "operation": "show_project_job_permission",
        "client": "BuildClient, AK/SK, a fresh client per batch",
        "emulator": emu.to_json(),
        "minimal_server": min.to_json(),
        "ratios_emulator_over_minimal": emu.ratios_over(&min),
    }))
}

async fn emulator_memory(options: &Options, table: &mut Table) -> Result<Value, String> {
    let emulator = ServerChild::start("emulator")?;
    let pid = emulator.pid();
    let url = emulator.url();
    let rss_start = stats::process_rss(pid);
    let limits = |calls| Limits {
        concurrency: 64,
        calls,
        max_time: Duration::from_secs(600),
    };
    let first = permission_batch(&url, limits(options.memory_first)).await?;
    let rss_first = stats::process_rss(pid);
    let rest = permission_batch(&url, limits(options.memory_total - options.memory_first)).await?;
    let rss_total = stats::process_rss(pid);
    let served = (first.calls, first.calls + rest.calls);
    let growth = rss_first
        .zip(rss_total)
        .map(|(a, b)| (b as f64 - a as f64) / a as f64);
    let per_request = rss_first
        .zip(rss_total)
        .map(|(a, b)| (b as f64 - a as f64) / (rest.calls.max(1)) as f64);
    table.memory(
        rss_start,
        (served.0, rss_first),
        (served.1, rss_total),
        growth,
    );
    Ok(json!({
        "rss_bytes_at_start": rss_start,
        "after_first": { "requests": served.0, "rss_bytes": rss_first },
        "after_total": { "requests": served.1, "rss_bytes": rss_total },
        "growth_fraction": growth,
        "bytes_per_request_between": per_request,
        "errors": first.errors + rest.errors,
    }))
}

/// The official Python SDK, sequential, against the minimal server; `Null` when it is not
/// installed.
fn python_sdk(
    options: &Options,
    minimal: &ServerChild,
    facade_vs_bare: &Value,
    table: &mut Table,
) -> Value {
    let installed = std::process::Command::new("python3")
        .args(["-c", "import huaweicloudsdkcodeartspipeline"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        eprintln!("codearts-bench: the official Python SDK is not installed; skipped");
        return Value::Null;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/official_sdk.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .args(["--endpoint", &minimal.url()])
        .args(["--calls", &options.python_calls.to_string()])
        .args(["--max-seconds", &options.max_batch.as_secs().to_string()])
        .output();
    let parsed: Option<Value> = match output {
        Ok(out) if out.status.success() => serde_json::from_slice(&out.stdout).ok(),
        Ok(out) => {
            eprintln!(
                "codearts-bench: the Python driver failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("codearts-bench: the Python driver did not start: {e}");
            None
        }
    };
    let Some(py) = parsed else {
        return json!({ "error": "the driver failed; see the output" });
    };
    let calls = py["calls"].as_f64().unwrap_or(0.0);
    let rate = calls / py["wall_seconds"].as_f64().unwrap_or(f64::NAN);
    let cpu_us = py["cpu_seconds"].as_f64().unwrap_or(f64::NAN) * 1e6 / calls.max(1.0);
    let ours = &facade_vs_bare["by_concurrency"][0]["facade"]["median"];
    let our_rate = ours["calls_per_sec"].as_f64().unwrap_or(f64::NAN);
    let our_cpu = ours["cpu_us_per_call"].as_f64().unwrap_or(f64::NAN);
    table.python(rate, cpu_us, our_rate / rate, our_cpu / cpu_us);
    json!({
        "operation": "reject_manual_review, sequential, against the minimal server",
        "driver": py,
        "calls_per_sec": rate,
        "cpu_us_per_call": cpu_us,
        "facade_sequential_calls_per_sec_over_python": our_rate / rate,
        "facade_cpu_per_call_over_python": our_cpu / cpu_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_defaults_quick_and_overrides() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let full = Options::parse(&[]).unwrap();
        assert_eq!((full.rounds, full.calls), (5, 20_000));
        assert_eq!((full.memory_first, full.memory_total), (20_000, 200_000));
        let quick = Options::parse(&args("--quick --no-python")).unwrap();
        assert!(quick.quick && !quick.python);
        assert!(quick.calls < full.calls);
        let custom =
            Options::parse(&args("--rounds 3 --calls 10 --memory 5 50 --out x.json")).unwrap();
        assert_eq!((custom.rounds, custom.calls), (3, 10));
        assert_eq!((custom.memory_first, custom.memory_total), (5, 50));
        assert_eq!(custom.out, PathBuf::from("x.json"));
        assert!(Options::parse(&args("--rounds 0")).is_err());
        assert!(Options::parse(&args("--calls")).is_err());
        assert!(Options::parse(&args("--memory 50 5")).is_err());
        assert!(Options::parse(&args("--bogus")).is_err());
    }

    #[test]
    fn header_shapes_ignore_only_the_signature_and_date_values() {
        let a = vec![
            ("authorization".to_owned(), "SDK-HMAC-SHA256 x".to_owned()),
            ("x-sdk-date".to_owned(), "20260101T000000Z".to_owned()),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        let mut b = a.clone();
        b[0].1 = "SDK-HMAC-SHA256 y".to_owned();
        b[1].1 = "20270101T000000Z".to_owned();
        b.reverse();
        assert_eq!(header_shape(&a), header_shape(&b));
        b[0].1 = "text/plain".to_owned();
        assert_ne!(header_shape(&a), header_shape(&b));
    }

    #[test]
    fn the_presigned_request_carries_the_facade_headers_and_signs_the_same_names() {
        let facade = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("user-agent".to_owned(), "codearts-rs/test".to_owned()),
            ("accept".to_owned(), "*/*".to_owned()),
            ("host".to_owned(), "127.0.0.1:9".to_owned()),
            (
                "authorization".to_owned(),
                "SDK-HMAC-SHA256 Access=X, SignedHeaders=content-type;host;x-sdk-date, Signature=00".to_owned(),
            ),
        ];
        let request = presigned("http://127.0.0.1:9", &facade).unwrap();
        let h = request.headers();
        assert_eq!(request.method(), reqwest::Method::POST);
        assert!(request.url().path().ends_with("/refuse"));
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["user-agent"], "codearts-rs/test");
        assert_eq!(h["accept"], "*/*");
        assert_eq!(h["host"], "127.0.0.1:9");
        assert!(h.contains_key("x-sdk-date"));
        let auth = h["authorization"].to_str().unwrap();
        let expected =
            format!("SDK-HMAC-SHA256 Access={DEMO_AK}, SignedHeaders=content-type;host;x-sdk-date, Signature=");
        assert!(auth.starts_with(&expected), "{auth}");
        assert_eq!(
            signed_header_names(auth).unwrap(),
            ["content-type", "host", "x-sdk-date"]
        );
        assert_eq!(signed_header_names("Bearer x"), None);
    }
}
