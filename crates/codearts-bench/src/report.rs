//! Medians over rounds, ratios, the printed table and the machine description.

use serde_json::{json, Value};

use crate::stats::median;
use crate::Measured;

/// The figures of one batch.
#[derive(Debug, Clone, Copy)]
struct Round {
    calls: u64,
    errors: u64,
    rate: f64,
    p50_us: f64,
    p99_us: f64,
    p90_us: f64,
    p999_us: f64,
    cpu_us: f64,
    allocations: f64,
    connections: Option<u64>,
    server_cpu_us: Option<f64>,
}

/// One side of a comparison: every round, and their medians.
#[derive(Debug, Clone)]
pub struct Side {
    name: String,
    rounds: Vec<Round>,
}

impl Side {
    /// The rounds of `name`.
    pub fn from_measured(name: &str, measured: &[Measured]) -> Self {
        let rounds = measured
            .iter()
            .map(|m| Round {
                calls: m.batch.calls,
                errors: m.batch.errors,
                rate: m.batch.rate(),
                p50_us: m.batch.latency_us(50.0),
                p99_us: m.batch.latency_us(99.0),
                p90_us: m.batch.latency_us(90.0),
                p999_us: m.batch.latency_us(99.9),
                cpu_us: m.batch.cpu_us_per_call(),
                allocations: m.batch.allocations_per_call(),
                connections: m.connections,
                server_cpu_us: m
                    .server_cpu
                    .map(|cpu| cpu.as_secs_f64() * 1e6 / m.batch.calls.max(1) as f64),
            })
            .collect();
        Side {
            name: name.to_owned(),
            rounds,
        }
    }

    fn median_of(&self, f: impl Fn(&Round) -> f64) -> f64 {
        median(&self.rounds.iter().map(f).collect::<Vec<_>>())
    }

    fn server_cpu(&self) -> f64 {
        self.median_of(|r| r.server_cpu_us.unwrap_or(f64::NAN))
    }

    fn connections(&self) -> f64 {
        self.median_of(|r| r.connections.map_or(f64::NAN, |c| c as f64))
    }

    fn errors(&self) -> u64 {
        self.rounds.iter().map(|r| r.errors).sum()
    }

    fn medians(&self) -> Value {
        json!({
            "calls_per_sec": self.median_of(|r| r.rate),
            "p50_us": self.median_of(|r| r.p50_us),
            "p99_us": self.median_of(|r| r.p99_us),
            "cpu_us_per_call": self.median_of(|r| r.cpu_us),
            "allocations_per_call": self.median_of(|r| r.allocations),
            "connections_opened": finite(self.connections()),
            "server_cpu_us_per_request": finite(self.server_cpu()),
        })
    }

    /// The medians and every round, as JSON.
    pub fn to_json(&self) -> Value {
        let rounds: Vec<Value> = self
            .rounds
            .iter()
            .map(|r| {
                json!({
                    "calls": r.calls, "errors": r.errors, "calls_per_sec": r.rate,
                    "p50_us": r.p50_us, "p90_us": r.p90_us, "p99_us": r.p99_us,
                    "p99_9_us": r.p999_us, "cpu_us_per_call": r.cpu_us,
                    "allocations_per_call": r.allocations, "connections_opened": r.connections,
                    "server_cpu_us_per_request": r.server_cpu_us,
                })
            })
            .collect();
        json!({
            "name": self.name,
            "median": self.medians(),
            "errors": self.errors(),
            "rounds": rounds,
        })
    }

    /// Medians of the per-round ratios of this side over `other` (round i against round i:
    /// the two ran back to back).
    fn ratio(&self, other: &Side, f: impl Fn(&Round) -> f64) -> f64 {
        let ratios: Vec<f64> = self
            .rounds
            .iter()
            .zip(&other.rounds)
            .map(|(a, b)| f(a) / f(b))
            .collect();
        median(&ratios)
    }

    /// The ratios of this side over `other`, as JSON.
    pub fn ratios_over(&self, other: &Side) -> Value {
        json!({
            "calls_per_sec": finite(self.ratio(other, |r| r.rate)),
            "p50": finite(self.ratio(other, |r| r.p50_us)),
            "p99": finite(self.ratio(other, |r| r.p99_us)),
            "cpu_per_call": finite(self.ratio(other, |r| r.cpu_us)),
            "allocations_per_call": finite(self.ratio(other, |r| r.allocations)),
            "server_cpu_per_request": finite(self.ratio(other, |r| r.server_cpu_us.unwrap_or(f64::NAN))),
        })
    }
}

/// JSON has no NaN: null instead.
fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// The table printed at the end.
#[derive(Debug, Default)]
pub struct Table {
    lines: Vec<String>,
}

const HEADER: &str =
    "                      calls/s    p50 µs    p99 µs  CPU µs/call  allocs/call  conns  server CPU µs/req  errors";

fn cell(x: f64, width: usize, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:>width$.decimals$}")
    } else {
        format!("{:>width$}", "-")
    }
}

impl Table {
    /// A comparison of `a` against `b`, with the ratios a/b.
    pub fn pair(&mut self, title: &str, a: &Side, b: &Side) {
        self.lines.push(String::new());
        self.lines
            .push(format!("== {title} (medians of {} rounds)", a.rounds.len()));
        self.lines.push(HEADER.to_owned());
        for side in [a, b] {
            self.lines.push(format!(
                "  {:<16}{}{}{}{}{}{}{}{:>8}",
                side.name,
                cell(side.median_of(|r| r.rate), 11, 0),
                cell(side.median_of(|r| r.p50_us), 10, 1),
                cell(side.median_of(|r| r.p99_us), 10, 1),
                cell(side.median_of(|r| r.cpu_us), 13, 1),
                cell(side.median_of(|r| r.allocations), 13, 1),
                cell(side.connections(), 7, 0),
                cell(side.server_cpu(), 19, 1),
                side.errors(),
            ));
        }
        let x = |v: f64| {
            if v.is_finite() {
                format!("{v:.2}×")
            } else {
                "-".to_owned()
            }
        };
        self.lines.push(format!(
            "  {} / {}: calls/s {}, p50 {}, p99 {}, CPU/call {}, allocs/call {}, server CPU/req {}",
            a.name,
            b.name,
            x(a.ratio(b, |r| r.rate)),
            x(a.ratio(b, |r| r.p50_us)),
            x(a.ratio(b, |r| r.p99_us)),
            x(a.ratio(b, |r| r.cpu_us)),
            x(a.ratio(b, |r| r.allocations)),
            x(a.ratio(b, |r| r.server_cpu_us.unwrap_or(f64::NAN))),
        ));
    }

    /// The emulator's resident memory at start, after the first and after all requests.
    pub fn memory(
        &mut self,
        start: Option<u64>,
        first: (u64, Option<u64>),
        total: (u64, Option<u64>),
        growth: Option<f64>,
    ) {
        let mb = |b: Option<u64>| b.map_or("-".to_owned(), |b| format!("{:.1} MB", b as f64 / 1e6));
        self.lines.push(String::new());
        self.lines.push("== emulator memory (RSS)".to_owned());
        self.lines.push(format!(
            "  at start {}, after {} requests {}, after {} requests {}: {}",
            mb(start),
            first.0,
            mb(first.1),
            total.0,
            mb(total.1),
            growth.map_or("-".to_owned(), |g| format!("{:+.1}%", g * 100.0)),
        ));
    }

    /// The official Python SDK against the minimal server, sequential.
    pub fn python(&mut self, rate: f64, cpu_us: f64, rate_ratio: f64, cpu_ratio: f64) {
        self.lines.push(String::new());
        self.lines
            .push("== official Python SDK, reject_manual_review, sequential".to_owned());
        self.lines.push(format!(
            "  {rate:.0} calls/s, {cpu_us:.0} µs CPU per call; the facade at 1 in flight: {rate_ratio:.1}× its calls/s, {:.3} of its CPU per call (1/{:.0})",
            cpu_ratio,
            1.0 / cpu_ratio
        ));
    }

    /// The table as text.
    pub fn render(&self) -> String {
        self.lines.join("\n")
    }
}

/// The machine: cores, CPU model, memory, kernel.
pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: Option<u64> = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok());
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "cpu_model": model,
        "memory_bytes": mem_kb.map(|kb| kb * 1024),
    })
}
