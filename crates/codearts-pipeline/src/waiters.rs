//! Waiting for a pipeline run: until it ends, until it stops at a manual review or checkpoint
//! that awaits a decision, or as a stream of status changes.
//!
//! ```no_run
//! use codearts_pipeline::waiters::{ReviewWait, RunOutcome, WaitPolicy};
//! use codearts_pipeline::model::RejectManualReviewRequest;
//! use codearts_pipeline::PipelineClient;
//!
//! # async fn run(client: PipelineClient) -> codearts_pipeline::Result<()> {
//! let waiter = client
//!     .run_waiter("project-id", "pipeline-id", "run-id")
//!     .policy(WaitPolicy::default().with_timeout(std::time::Duration::from_secs(600)));
//! if let ReviewWait::Pending(review) = waiter.until_review().await? {
//!     let refuse = RejectManualReviewRequest::new(
//!         "project-id", "pipeline-id", "run-id", &review.job_run_id, &review.step_run_id,
//!     );
//!     client.reject_manual_review(refuse).await?;
//! }
//! match waiter.until_ended().await? {
//!     RunOutcome::Succeeded(_) => println!("done"),
//!     other => println!("ended as {:?}", other.status()),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The status words the service uses are read in one place, [`run_phase`] and
//! [`awaits_decision`]; unknown words count as still running.

use std::sync::{Arc, Mutex};

use codearts_runtime::poll::{poll_stream, poll_until, Check, Polled};
use futures_util::stream::{Stream, StreamExt};

use crate::model::{ShowPipelineRunDetailRequest, ShowPipelineRunDetailResponse};
use crate::{PipelineClient, Result};

pub use codearts_runtime::poll::WaitPolicy;

/// The answer of `show_pipeline_run_detail`, as the waiters carry it.
pub type RunDetail = ShowPipelineRunDetailResponse;

/// Where a run (or stage, job, step) status stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunPhase {
    /// Still going (including queued, paused at a review, and unknown words).
    Running,
    /// Ended well.
    Succeeded,
    /// Failed, or refused at a review.
    Failed,
    /// Stopped or cancelled by a user.
    Stopped,
}

/// The phase of a status word (case-insensitive, surrounding spaces ignored).
pub fn run_phase(status: &str) -> RunPhase {
    match normalized(status).as_str() {
        "COMPLETED" | "COMPLETE" | "SUCCESS" | "SUCCEEDED" | "SUCCEED" | "PASSED" | "DONE"
        | "FINISHED" | "SKIPPED" | "SKIP" | "IGNORED" => RunPhase::Succeeded,
        "FAILED" | "FAILURE" | "FAIL" | "ERROR" | "REFUSED" | "REJECTED" | "TIMEOUT"
        | "TIMEDOUT" | "TIMED_OUT" => RunPhase::Failed,
        "CANCELED" | "CANCELLED" | "CANCEL" | "ABORTED" | "ABORT" | "STOPPED" | "STOP"
        | "TERMINATED" => RunPhase::Stopped,
        _ => RunPhase::Running,
    }
}

/// True when a step with this status and task is a manual review or checkpoint waiting for a
/// decision: its status is a waiting word (`PENDING`, `PAUSED`, `WAITING`, ...) and its task,
/// when given, is a manual review or checkpoint task.
pub fn awaits_decision(status: &str, task: Option<&str>) -> bool {
    let waiting = matches!(
        normalized(status).as_str(),
        "PENDING" | "PAUSED" | "PAUSE" | "WAITING" | "WAIT" | "SUSPEND" | "SUSPENDED"
    );
    let decision_task = task.is_none_or(|t| {
        let t: String = t
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        t.contains("manualreview") || t.contains("checkpoint") || t.contains("approval")
    });
    waiting && decision_task
}

fn normalized(status: &str) -> String {
    status.trim().to_ascii_uppercase()
}

/// How a run ended, each with the last detail read.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The run completed.
    Succeeded(Box<RunDetail>),
    /// The run failed, or a review refused it (the step's `message` says why).
    Failed(Box<RunDetail>),
    /// The run was stopped.
    Stopped(Box<RunDetail>),
    /// The wait's timeout passed first; the last detail read, if any read succeeded.
    TimedOut(Option<Box<RunDetail>>),
}

impl RunOutcome {
    /// The last detail read.
    pub fn detail(&self) -> Option<&RunDetail> {
        match self {
            RunOutcome::Succeeded(d) | RunOutcome::Failed(d) | RunOutcome::Stopped(d) => Some(d),
            RunOutcome::TimedOut(d) => d.as_deref(),
        }
    }

    /// The run's last status word, if one was read.
    pub fn status(&self) -> Option<&str> {
        self.detail().and_then(|d| d.status.as_deref())
    }

    fn ended(detail: RunDetail) -> Option<Self> {
        let boxed = Box::new(detail);
        match run_phase(boxed.status.as_deref().unwrap_or_default()) {
            RunPhase::Running => None,
            RunPhase::Succeeded => Some(RunOutcome::Succeeded(boxed)),
            RunPhase::Failed => Some(RunOutcome::Failed(boxed)),
            RunPhase::Stopped => Some(RunOutcome::Stopped(boxed)),
        }
    }
}

/// A manual review or checkpoint step awaiting a decision: the ids
/// `accept_manual_review` and `reject_manual_review` need, with the detail it was found in.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingReview {
    /// The stage run holding the step.
    pub stage_run_id: Option<String>,
    /// The job run holding the step.
    pub job_run_id: String,
    /// The step run awaiting a decision.
    pub step_run_id: String,
    /// The step's name.
    pub step_name: Option<String>,
    /// The detail it was found in.
    pub detail: Box<RunDetail>,
}

impl PendingReview {
    /// The first step in `detail` awaiting a decision.
    pub fn find(detail: &RunDetail) -> Option<PendingReview> {
        for stage in detail.stages.iter().flatten() {
            for job in stage.jobs.iter().flatten() {
                for step in job.steps.iter().flatten() {
                    let status = step.status.as_deref().unwrap_or_default();
                    if !awaits_decision(status, step.task.as_deref()) {
                        continue;
                    }
                    if let (Some(job_run_id), Some(step_run_id)) = (&job.id, &step.id) {
                        return Some(PendingReview {
                            stage_run_id: stage.id.clone(),
                            job_run_id: job_run_id.clone(),
                            step_run_id: step_run_id.clone(),
                            step_name: step.name.clone(),
                            detail: Box::new(detail.clone()),
                        });
                    }
                }
            }
        }
        None
    }
}

/// How a wait for a review ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewWait {
    /// A step awaits a decision.
    Pending(PendingReview),
    /// The run ended (or the wait timed out) without stopping at a review.
    Ended(RunOutcome),
}

/// A poll observer: called with every detail read.
type Observer<'a> = Arc<Mutex<dyn FnMut(&RunDetail) + Send + 'a>>;

/// Waits on one pipeline run: made by [`PipelineClient::run_waiter`].
///
/// Each wait reads `show_pipeline_run_detail` with the policy's backing-off interval until
/// its condition holds or its timeout passes; transient errors (see
/// [`crate::Error::is_retryable`]) are absorbed within the timeout, others end the wait.
/// Dropping a wait's future cancels it.
#[derive(Clone)]
pub struct RunWaiter<'a> {
    client: &'a PipelineClient,
    project_id: String,
    pipeline_id: String,
    run_id: String,
    policy: WaitPolicy,
    observer: Option<Observer<'a>>,
}

impl std::fmt::Debug for RunWaiter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunWaiter")
            .field("project_id", &self.project_id)
            .field("pipeline_id", &self.pipeline_id)
            .field("run_id", &self.run_id)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl PipelineClient {
    /// A waiter on run `run_id` of pipeline `pipeline_id`, with the default [`WaitPolicy`].
    pub fn run_waiter(
        &self,
        project_id: impl Into<String>,
        pipeline_id: impl Into<String>,
        run_id: impl Into<String>,
    ) -> RunWaiter<'_> {
        RunWaiter {
            client: self,
            project_id: project_id.into(),
            pipeline_id: pipeline_id.into(),
            run_id: run_id.into(),
            policy: WaitPolicy::default(),
            observer: None,
        }
    }
}

impl<'a> RunWaiter<'a> {
    /// Sets the interval and timeout.
    pub fn policy(mut self, policy: WaitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Calls `observe` with every detail read (a progress display, a log).
    pub fn observe(mut self, observe: impl FnMut(&RunDetail) + Send + 'a) -> Self {
        self.observer = Some(Arc::new(Mutex::new(observe)));
        self
    }

    async fn read(&self) -> Result<RunDetail> {
        let request = ShowPipelineRunDetailRequest::new(&self.project_id, &self.pipeline_id)
            .set_pipeline_run_id(&self.run_id);
        let detail = self.client.show_pipeline_run_detail(request).await?;
        if let Some(observer) = &self.observer {
            // A poisoned observer (it panicked once) is skipped rather than failing the wait.
            if let Ok(mut observe) = observer.lock() {
                observe(&detail);
            }
        }
        Ok(detail)
    }

    /// Waits until the run ends.
    pub async fn until_ended(&self) -> Result<RunOutcome> {
        let polled = poll_until(&self.policy, || async {
            let detail = self.read().await?;
            Ok(match RunOutcome::ended(detail.clone()) {
                Some(outcome) => Check::Done(outcome),
                None => Check::Pending(detail),
            })
        })
        .await?;
        Ok(match polled {
            Polled::Done(outcome) => outcome,
            Polled::TimedOut(last) => RunOutcome::TimedOut(last.map(Box::new)),
        })
    }

    /// Waits until a manual review or checkpoint step awaits a decision, or the run ends.
    pub async fn until_review(&self) -> Result<ReviewWait> {
        let polled = poll_until(&self.policy, || async {
            let detail = self.read().await?;
            if let Some(review) = PendingReview::find(&detail) {
                return Ok(Check::Done(ReviewWait::Pending(review)));
            }
            Ok(match RunOutcome::ended(detail.clone()) {
                Some(outcome) => Check::Done(ReviewWait::Ended(outcome)),
                None => Check::Pending(detail),
            })
        })
        .await?;
        Ok(match polled {
            Polled::Done(wait) => wait,
            Polled::TimedOut(last) => ReviewWait::Ended(RunOutcome::TimedOut(last.map(Box::new))),
        })
    }

    /// The run's details each time its status, or the status of one of its stages, jobs or
    /// steps, changes; the stream ends when the run ends, on an error that is not transient
    /// (yielded last), or when the policy's timeout passes.
    pub fn status_changes(&self) -> impl Stream<Item = Result<RunDetail>> + use<'_, 'a> {
        let mut seen: Option<Vec<Option<String>>> = None;
        poll_stream::<RunDetail, RunDetail, _, _>(self.policy, move || async move {
            let detail = self.read().await?;
            let ended =
                run_phase(detail.status.as_deref().unwrap_or_default()) != RunPhase::Running;
            Ok(if ended {
                Check::Done(detail)
            } else {
                Check::Pending(detail)
            })
        })
        .filter_map(move |item| {
            let out = match item {
                Ok(Check::Pending(d) | Check::Done(d)) => {
                    let key = statuses(&d);
                    if seen.as_ref() == Some(&key) {
                        None
                    } else {
                        seen = Some(key);
                        Some(Ok(d))
                    }
                }
                Err(e) => Some(Err(e)),
            };
            std::future::ready(out)
        })
    }
}

/// Every status in a detail, in order: what "a change" compares.
fn statuses(detail: &RunDetail) -> Vec<Option<String>> {
    let mut out = vec![detail.status.clone()];
    for stage in detail.stages.iter().flatten() {
        out.push(stage.status.clone());
        for job in stage.jobs.iter().flatten() {
            out.push(job.status.clone());
            for step in job.steps.iter().flatten() {
                out.push(step.status.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases() {
        assert_eq!(run_phase("COMPLETED"), RunPhase::Succeeded);
        assert_eq!(run_phase(" success "), RunPhase::Succeeded);
        assert_eq!(run_phase("FAILED"), RunPhase::Failed);
        assert_eq!(run_phase("refused"), RunPhase::Failed);
        assert_eq!(run_phase("CANCELED"), RunPhase::Stopped);
        assert_eq!(run_phase("aborted"), RunPhase::Stopped);
        assert_eq!(run_phase("RUNNING"), RunPhase::Running);
        assert_eq!(run_phase("PAUSED"), RunPhase::Running);
        assert_eq!(run_phase("SOMETHING_NEW"), RunPhase::Running);
        assert_eq!(run_phase(""), RunPhase::Running);
    }

    #[test]
    fn decisions() {
        assert!(awaits_decision(
            "PENDING",
            Some("official_devcloud_manualReview")
        ));
        assert!(awaits_decision(
            "paused",
            Some("official_devcloud_checkpoint")
        ));
        assert!(awaits_decision("PENDING", None));
        assert!(!awaits_decision(
            "PENDING",
            Some("official_devcloud_cloudBuild")
        ));
        assert!(!awaits_decision(
            "RUNNING",
            Some("official_devcloud_manualReview")
        ));
    }
}
