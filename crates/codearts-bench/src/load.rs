//! Running a batch of calls at a fixed number in flight, bounded in count and in time.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{alloc, stats};

/// The limits of one batch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Calls in flight at once.
    pub concurrency: usize,
    /// At most this many calls.
    pub calls: usize,
    /// No call starts after this long.
    pub max_time: Duration,
}

/// What one batch measured in this process.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Calls completed.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// From the first call to the last answer.
    pub wall: Duration,
    /// Latencies in nanoseconds, sorted.
    pub latencies: Vec<u64>,
    /// CPU time of this process over the batch.
    pub cpu: Duration,
    /// Allocations of this process over the batch.
    pub allocations: u64,
}

impl Batch {
    /// Calls per second.
    pub fn rate(&self) -> f64 {
        self.calls as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile latency in microseconds.
    pub fn latency_us(&self, p: f64) -> f64 {
        stats::percentile(&self.latencies, p).map_or(f64::NAN, |ns| ns as f64 / 1000.0)
    }

    /// CPU microseconds per call.
    pub fn cpu_us_per_call(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }

    /// Allocations per call.
    pub fn allocations_per_call(&self) -> f64 {
        self.allocations as f64 / self.calls.max(1) as f64
    }
}

/// Runs `call` until `limits` says stop, with `limits.concurrency` tasks each making one call
/// at a time. `call` answers whether the call succeeded.
pub async fn run<F, Fut>(limits: Limits, call: F) -> Batch
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let call = Arc::new(call);
    // Every slot is allocated before the clock starts, so the batch itself allocates nothing
    // that is counted against the calls.
    let slots: Arc<Vec<AtomicU64>> =
        Arc::new((0..limits.calls).map(|_| AtomicU64::new(0)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(limits.concurrency);

    let cpu0 = stats::self_cpu();
    let alloc0 = alloc::allocations();
    let start = Instant::now();
    let deadline = start + limits.max_time;
    for _ in 0..limits.concurrency.max(1) {
        let (call, slots, next, errors) = (
            Arc::clone(&call),
            Arc::clone(&slots),
            Arc::clone(&next),
            Arc::clone(&errors),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= slots.len() {
                    break;
                }
                let t0 = Instant::now();
                let ok = call().await;
                // At least 1 ns, so that a done call is told from a slot never used.
                slots[i].store((t0.elapsed().as_nanos() as u64).max(1), Ordering::Relaxed);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let wall = start.elapsed();
    let allocations = alloc::allocations() - alloc0;
    let cpu = stats::self_cpu().saturating_sub(cpu0);

    let mut latencies: Vec<u64> = slots
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .filter(|&ns| ns > 0)
        .collect();
    latencies.sort_unstable();
    Batch {
        calls: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        wall,
        latencies,
        cpu,
        allocations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_stops_at_its_call_count_and_counts_failures() {
        let seen = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&seen);
        let limits = Limits {
            concurrency: 8,
            calls: 100,
            max_time: Duration::from_secs(60),
        };
        let batch = run(limits, move || {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            async move { n % 10 != 0 }
        })
        .await;
        assert_eq!(batch.calls, 100);
        assert_eq!(seen.load(Ordering::Relaxed), 100);
        assert_eq!(batch.errors, 10);
        assert_eq!(batch.latencies.len(), 100);
        assert!(batch.latencies.windows(2).all(|w| w[0] <= w[1]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_stops_at_its_deadline() {
        let limits = Limits {
            concurrency: 2,
            calls: 1_000_000,
            max_time: Duration::ZERO,
        };
        let batch = run(limits, || async { true }).await;
        assert_eq!(batch.calls, 0);
    }
}
