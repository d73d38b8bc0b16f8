//! A small generic poller: read something until it is done, with a backing-off interval, an
//! overall timeout, and transient errors absorbed within that timeout.
//!
//! The facades' waiters (`codearts_pipeline::waiters`, `codearts_build::waiters`) are built on
//! it; it knows nothing about runs or builds. Cancelling a wait is dropping its future: nothing
//! runs in the background.

use std::future::Future;
use std::time::Duration;

use codearts_transport::Error;
use futures_util::stream::{self, Stream};
use tokio::time::Instant;

/// How a wait polls: the interval between reads starts at `initial_interval` and grows by
/// `multiplier` after each read up to `max_interval`; the whole wait ends after `timeout`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitPolicy {
    /// The pause after the first read.
    pub initial_interval: Duration,
    /// The longest pause between two reads.
    pub max_interval: Duration,
    /// How much the pause grows after each read (values below 1 are taken as 1).
    pub multiplier: f64,
    /// The whole wait, reads and pauses included.
    pub timeout: Duration,
}

impl Default for WaitPolicy {
    /// 1 s growing by half each read up to 15 s, for at most 30 minutes.
    fn default() -> Self {
        WaitPolicy {
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15),
            multiplier: 1.5,
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl WaitPolicy {
    /// A fixed interval (no growth) and this timeout.
    pub fn fixed(interval: Duration, timeout: Duration) -> Self {
        WaitPolicy {
            initial_interval: interval,
            max_interval: interval,
            multiplier: 1.0,
            timeout,
        }
    }

    /// Sets the overall timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the first and the longest interval.
    pub fn with_intervals(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max.max(initial);
        self
    }

    fn next_interval(&self, current: Duration) -> Duration {
        let grown = current.mul_f64(self.multiplier.max(1.0));
        grown.min(self.max_interval.max(self.initial_interval))
    }
}

/// What one read found: a value to keep while waiting (`P`) or the value the wait ends with
/// (`D`).
#[derive(Debug, Clone, PartialEq)]
pub enum Check<P, D = P> {
    /// Not there yet: read again after the interval.
    Pending(P),
    /// Done: the wait ends with this value.
    Done(D),
}

/// How a wait ended (an error that is not transient ends it as `Err` instead).
#[derive(Debug, Clone, PartialEq)]
pub enum Polled<P, D = P> {
    /// A read was [`Check::Done`].
    Done(D),
    /// The timeout passed first; the last pending value read, if any read succeeded.
    TimedOut(Option<P>),
}

/// The clock a wait measures against, so an unrepresentable timeout means "no deadline".
struct Deadline(Option<Instant>);

impl Deadline {
    fn after(timeout: Duration) -> Self {
        Deadline(Instant::now().checked_add(timeout))
    }

    fn left(&self) -> Duration {
        self.0.map_or(Duration::MAX, |d| {
            d.saturating_duration_since(Instant::now())
        })
    }
}

/// Reads with `read` until it returns [`Check::Done`], the policy's timeout passes, or it fails
/// with an error that is not transient ([`Error::is_retryable`] false). Transient errors are
/// absorbed: the wait reads again after the interval, as long as time is left.
///
/// Each read is itself cut off when the timeout passes.
pub async fn poll_until<P, D, F, Fut>(
    policy: &WaitPolicy,
    mut read: F,
) -> Result<Polled<P, D>, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Check<P, D>, Error>>,
{
    let deadline = Deadline::after(policy.timeout);
    let mut interval = policy.initial_interval;
    let mut last = None;
    loop {
        match tokio::time::timeout(deadline.left(), read()).await {
            Err(_) => return Ok(Polled::TimedOut(last)),
            Ok(Ok(Check::Done(value))) => return Ok(Polled::Done(value)),
            Ok(Ok(Check::Pending(value))) => last = Some(value),
            Ok(Err(error)) if error.is_retryable() => {}
            Ok(Err(error)) => return Err(error),
        }
        let left = deadline.left();
        if left.is_zero() {
            return Ok(Polled::TimedOut(last));
        }
        tokio::time::sleep(interval.min(left)).await;
        interval = policy.next_interval(interval);
    }
}

/// Every value read, as a stream: each successful read is yielded (`Ok`), transient errors are
/// absorbed as in [`poll_until`], and the stream ends after a [`Check::Done`] value, after an
/// error that is not transient (yielded as `Err`), or when the timeout passes.
pub fn poll_stream<P, D, F, Fut>(
    policy: WaitPolicy,
    read: F,
) -> impl Stream<Item = Result<Check<P, D>, Error>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Check<P, D>, Error>>,
{
    struct State<F> {
        read: F,
        deadline: Deadline,
        interval: Duration,
        first: bool,
        ended: bool,
    }
    let state = State {
        read,
        deadline: Deadline::after(policy.timeout),
        interval: policy.initial_interval,
        first: true,
        ended: false,
    };
    stream::unfold(state, move |mut state| async move {
        if state.ended {
            return None;
        }
        loop {
            if !state.first {
                let left = state.deadline.left();
                if left.is_zero() {
                    return None;
                }
                tokio::time::sleep(state.interval.min(left)).await;
                state.interval = policy.next_interval(state.interval);
            }
            state.first = false;
            match tokio::time::timeout(state.deadline.left(), (state.read)()).await {
                Err(_) => return None,
                Ok(Ok(check)) => {
                    state.ended = matches!(check, Check::Done(_));
                    return Some((Ok(check), state));
                }
                Ok(Err(error)) if error.is_retryable() => continue,
                Ok(Err(error)) => {
                    state.ended = true;
                    return Some((Err(error), state));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use codearts_transport::ErrorKind;
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn policy() -> WaitPolicy {
        WaitPolicy {
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15),
            multiplier: 2.0,
            timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_interval_backs_off_to_the_cap() {
        let p = policy();
        let mut i = p.initial_interval;
        let mut seen = vec![];
        for _ in 0..6 {
            seen.push(i.as_secs());
            i = p.next_interval(i);
        }
        assert_eq!(seen, [1, 2, 4, 8, 15, 15]);
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_absorbed_and_done_ends_the_wait() {
        let n = AtomicU32::new(0);
        let started = Instant::now();
        let out = poll_until(&policy(), || async {
            match n.fetch_add(1, Ordering::SeqCst) {
                0 => Err(Error::new(ErrorKind::Timeout, "slow")),
                1 => Ok(Check::Pending(1)),
                _ => Ok(Check::Done(2)),
            }
        })
        .await
        .unwrap();
        assert_eq!(out, Polled::Done(2));
        // Paused clock: 1 s then 2 s of pauses, nothing else.
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_ends_the_wait() {
        let err = poll_until::<u32, u32, _, _>(&policy(), || async {
            Err(Error::new(ErrorKind::InvalidRequest, "bad"))
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    }

    #[tokio::test(start_paused = true)]
    async fn the_timeout_returns_the_last_value() {
        let n = AtomicU32::new(0);
        let out = poll_until::<u32, (), _, _>(&policy(), || async {
            Ok(Check::Pending(n.fetch_add(1, Ordering::SeqCst)))
        })
        .await
        .unwrap();
        // Reads at 0, 1, 3, 7, 15, 30, 45, 60 (the last cut short by the deadline).
        match out {
            Polled::TimedOut(Some(v)) => assert!((6..=8).contains(&v), "{v}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_stream_yields_each_read_and_ends_after_done() {
        let n = AtomicU32::new(0);
        let items: Vec<_> = poll_stream(policy(), || async {
            match n.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(Check::Pending(0)),
                1 => Err(Error::new(ErrorKind::Connect, "down")),
                2 => Ok(Check::Pending(2)),
                _ => Ok(Check::Done(3)),
            }
        })
        .map(|r| r.unwrap())
        .collect()
        .await;
        assert_eq!(
            items,
            [Check::Pending(0), Check::Pending(2), Check::Done(3)]
        );
    }
}
