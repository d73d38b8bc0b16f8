//! Waiting for a build to end.
//!
//! A build is read with `show_job_status` (is the job building?) and `show_history_details`
//! (the build's steps): it has ended when the job is not building and every step has an end
//! status; it succeeded when no step failed or was stopped.
//!
//! ```no_run
//! use codearts_build::waiters::{BuildOutcome, WaitPolicy};
//! use codearts_build::BuildClient;
//!
//! # async fn run(client: BuildClient) -> codearts_build::Result<()> {
//! let outcome = client
//!     .build_waiter("job-id", 12)
//!     .policy(WaitPolicy::default().with_timeout(std::time::Duration::from_secs(600)))
//!     .until_ended()
//!     .await?;
//! if let BuildOutcome::Failed(state) = outcome {
//!     eprintln!("failed at {:?}", state.current_step().and_then(|s| s.name.as_deref()));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The status words are read in one place, [`step_phase`]; unknown words count as running.

use std::sync::{Arc, Mutex};

use codearts_runtime::poll::{poll_until, Check, Polled};

use crate::model::{
    BuildStep, ShowHistoryDetailsRequest, ShowHistoryDetailsResponse, ShowJobStatusRequest,
};
use crate::{BuildClient, Result};

pub use codearts_runtime::poll::WaitPolicy;

/// Where a build step (or a build) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildPhase {
    /// Still going (including queued, and unknown words).
    Running,
    /// Ended well, or was skipped.
    Succeeded,
    /// Failed.
    Failed,
    /// Stopped or aborted by a user.
    Stopped,
}

/// The phase of a build step's status word (case-insensitive, surrounding spaces ignored).
pub fn step_phase(status: &str) -> BuildPhase {
    match status.trim().to_ascii_uppercase().as_str() {
        "SUCCESS" | "SUCCEEDED" | "SUCCEED" | "COMPLETED" | "COMPLETE" | "PASSED" | "DONE"
        | "FINISHED" | "SKIPPED" | "SKIP" | "IGNORED" => BuildPhase::Succeeded,
        "FAILED" | "FAILURE" | "FAIL" | "ERROR" | "TIMEOUT" | "TIMEDOUT" | "TIMED_OUT" => {
            BuildPhase::Failed
        }
        "ABORTED" | "ABORT" | "CANCELED" | "CANCELLED" | "CANCEL" | "STOPPED" | "STOP"
        | "TERMINATED" => BuildPhase::Stopped,
        _ => BuildPhase::Running,
    }
}

/// One reading of a build: whether its job is building, and its steps.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildState {
    /// What `show_job_status` said: the job is building.
    pub building: bool,
    /// What `show_history_details` said.
    pub details: ShowHistoryDetailsResponse,
}

impl BuildState {
    /// The build's steps (none yet when the service has not listed them).
    pub fn steps(&self) -> &[BuildStep] {
        self.details.build_steps.as_deref().unwrap_or_default()
    }

    fn phases(&self) -> impl Iterator<Item = BuildPhase> + '_ {
        self.steps()
            .iter()
            .map(|s| step_phase(s.status.as_deref().unwrap_or_default()))
    }

    /// The build's phase: running while the job builds or a step has not ended; then failed
    /// if a step failed, stopped if one was stopped, else succeeded. A build that is not
    /// building and lists no steps yet is still running (it has not started).
    pub fn phase(&self) -> BuildPhase {
        if self.building || self.steps().is_empty() {
            return BuildPhase::Running;
        }
        let phases: Vec<BuildPhase> = self.phases().collect();
        if phases.contains(&BuildPhase::Failed) {
            BuildPhase::Failed
        } else if phases.contains(&BuildPhase::Stopped) {
            BuildPhase::Stopped
        } else if phases.iter().all(|p| *p == BuildPhase::Succeeded) {
            BuildPhase::Succeeded
        } else {
            BuildPhase::Running
        }
    }

    /// How many steps have ended.
    pub fn steps_ended(&self) -> usize {
        self.phases().filter(|p| *p != BuildPhase::Running).count()
    }

    /// The first step that has not succeeded: the one running, or the one that failed.
    pub fn current_step(&self) -> Option<&BuildStep> {
        self.steps()
            .iter()
            .find(|s| step_phase(s.status.as_deref().unwrap_or_default()) != BuildPhase::Succeeded)
    }
}

/// How a build ended, each with the last state read.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildOutcome {
    /// Every step succeeded (or was skipped).
    Succeeded(Box<BuildState>),
    /// A step failed.
    Failed(Box<BuildState>),
    /// The build was stopped.
    Stopped(Box<BuildState>),
    /// The wait's timeout passed first; the last state read, if any read succeeded.
    TimedOut(Option<Box<BuildState>>),
}

impl BuildOutcome {
    /// The last state read.
    pub fn state(&self) -> Option<&BuildState> {
        match self {
            BuildOutcome::Succeeded(s) | BuildOutcome::Failed(s) | BuildOutcome::Stopped(s) => {
                Some(s)
            }
            BuildOutcome::TimedOut(s) => s.as_deref(),
        }
    }
}

type Observer<'a> = Arc<Mutex<dyn FnMut(&BuildState) + Send + 'a>>;

/// Waits on one build: made by [`BuildClient::build_waiter`].
///
/// Each poll reads the job's status and the build's steps with the policy's backing-off
/// interval; transient errors (see [`crate::Error::is_retryable`]) are absorbed within the
/// timeout, others end the wait. Dropping the wait's future cancels it.
#[derive(Clone)]
pub struct BuildWaiter<'a> {
    client: &'a BuildClient,
    job_id: String,
    build_no: i64,
    policy: WaitPolicy,
    observer: Option<Observer<'a>>,
}

impl std::fmt::Debug for BuildWaiter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildWaiter")
            .field("job_id", &self.job_id)
            .field("build_no", &self.build_no)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl BuildClient {
    /// A waiter on build `build_no` of job `job_id`, with the default [`WaitPolicy`].
    pub fn build_waiter(&self, job_id: impl Into<String>, build_no: i64) -> BuildWaiter<'_> {
        BuildWaiter {
            client: self,
            job_id: job_id.into(),
            build_no,
            policy: WaitPolicy::default(),
            observer: None,
        }
    }
}

impl<'a> BuildWaiter<'a> {
    /// Sets the interval and timeout.
    pub fn policy(mut self, policy: WaitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Calls `observe` with every state read (a progress display, a log).
    pub fn observe(mut self, observe: impl FnMut(&BuildState) + Send + 'a) -> Self {
        self.observer = Some(Arc::new(Mutex::new(observe)));
        self
    }

    async fn read(&self) -> Result<BuildState> {
        let building = self
            .client
            .show_job_status(ShowJobStatusRequest::new(&self.job_id))
            .await?
            .result
            .unwrap_or(false);
        let details = self
            .client
            .show_history_details(ShowHistoryDetailsRequest::new(&self.job_id, self.build_no))
            .await?;
        let state = BuildState { building, details };
        if let Some(observer) = &self.observer {
            if let Ok(mut observe) = observer.lock() {
                observe(&state);
            }
        }
        Ok(state)
    }

    /// Waits until the build ends.
    pub async fn until_ended(&self) -> Result<BuildOutcome> {
        let polled = poll_until(&self.policy, || async {
            let state = Box::new(self.read().await?);
            Ok(match state.phase() {
                BuildPhase::Running => Check::Pending(state),
                BuildPhase::Succeeded => Check::Done(BuildOutcome::Succeeded(state)),
                BuildPhase::Failed => Check::Done(BuildOutcome::Failed(state)),
                BuildPhase::Stopped => Check::Done(BuildOutcome::Stopped(state)),
            })
        })
        .await?;
        Ok(match polled {
            Polled::Done(outcome) => outcome,
            Polled::TimedOut(last) => BuildOutcome::TimedOut(last),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(building: bool, statuses: &[&str]) -> BuildState {
        let steps = statuses
            .iter()
            .map(|s| BuildStep::new().set_status(*s))
            .collect::<Vec<_>>();
        BuildState {
            building,
            details: ShowHistoryDetailsResponse::new().set_build_steps(steps),
        }
    }

    #[test]
    fn phases() {
        assert_eq!(
            state(true, &["success", "running"]).phase(),
            BuildPhase::Running
        );
        assert_eq!(state(true, &["success"]).phase(), BuildPhase::Running);
        assert_eq!(state(false, &[]).phase(), BuildPhase::Running);
        assert_eq!(
            state(false, &["success", "skipped"]).phase(),
            BuildPhase::Succeeded
        );
        assert_eq!(
            state(false, &["success", "failed"]).phase(),
            BuildPhase::Failed
        );
        assert_eq!(
            state(false, &["aborted", "skipped"]).phase(),
            BuildPhase::Stopped
        );
        assert_eq!(
            state(false, &["success", "queued"]).phase(),
            BuildPhase::Running
        );
        assert_eq!(state(false, &["success", "failed"]).steps_ended(), 2);
    }
}
