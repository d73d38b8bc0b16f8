//! `pipeline wait-run` and `build wait-build`: poll until a run ends.
//!
//! - A pipeline run is read with `show_pipeline_run_detail`; its `status` is `COMPLETED` on
//!   success and `FAILED`, `CANCELED` (and, defensively, `STOPPED`, `REFUSED`, ...) when it
//!   failed, was refused or was stopped. Anything else (`INIT`, `QUEUED`, `RUNNING`, `PAUSED`
//!   at a manual review, ...) is still going.
//! - A build is read with `show_job_status` (is the job building?) and
//!   `show_history_details` (the build's steps): it has ended when the job is not building
//!   and every step has an end status; it succeeded when no step failed.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use codearts_build::model::{ShowHistoryDetailsRequest, ShowJobStatusRequest};
use codearts_build::BuildClient;
use codearts_pipeline::model::ShowPipelineRunDetailRequest;
use codearts_pipeline::PipelineClient;

use crate::duration::show;
use crate::{CliError, EXIT_FAILED, EXIT_OK};

/// How long a wait lasts without `--timeout`.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);

/// Where a status stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Still going.
    Running,
    /// Ended well.
    Succeeded,
    /// Failed, was refused, stopped or cancelled.
    Failed,
}

/// The phase of a run or step status (case-insensitive).
pub fn phase(status: &str) -> Phase {
    match status.trim().to_ascii_uppercase().as_str() {
        "COMPLETED" | "COMPLETE" | "SUCCESS" | "SUCCEEDED" | "SUCCEED" | "PASSED" | "DONE"
        | "FINISHED" => Phase::Succeeded,
        "FAILED" | "FAILURE" | "FAIL" | "ERROR" | "CANCELED" | "CANCELLED" | "CANCEL"
        | "ABORTED" | "ABORT" | "STOPPED" | "STOP" | "REFUSED" | "REJECTED" | "TERMINATED"
        | "TIMEOUT" | "TIMEDOUT" | "TIMED_OUT" => Phase::Failed,
        _ => Phase::Running,
    }
}

/// The phase of a build step: skipped steps have ended without failing.
fn step_phase(status: &str) -> Phase {
    match status.trim().to_ascii_uppercase().as_str() {
        "SKIPPED" | "SKIP" | "IGNORED" => Phase::Succeeded,
        _ => phase(status),
    }
}

/// One line of progress on stderr: rewritten in place on a terminal, a new line on each
/// change otherwise.
pub struct Progress {
    tty: bool,
    last: Option<String>,
    drawn: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// Progress on stderr.
    pub fn new() -> Self {
        Progress {
            tty: std::io::stderr().is_terminal(),
            last: None,
            drawn: false,
        }
    }

    /// Shows `state` after `elapsed`.
    pub fn update(&mut self, state: &str, elapsed: Duration) {
        // The state quotes the server's statuses and step names.
        let state = &*crate::output::escape_control(state);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{state} ({})", show(elapsed));
            let _ = err.flush();
            self.drawn = true;
        } else if self.last.as_deref() != Some(state) {
            let _ = writeln!(err, "{state} ({})", show(elapsed));
        }
        self.last = Some(state.to_owned());
    }

    /// Ends the line on a terminal.
    pub fn finish(&mut self) {
        if self.tty && self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

/// How a wait is run.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    /// Between two reads.
    pub interval: Duration,
    /// The whole wait.
    pub timeout: Duration,
}

/// What a wait ended with: the exit code and the last answer read.
pub struct Waited {
    /// [`EXIT_OK`] or [`EXIT_FAILED`].
    pub code: u8,
    /// The last answer, printed on stdout.
    pub last: serde_json::Value,
}

/// Waits for a pipeline run to end.
pub async fn pipeline_run(
    client: &PipelineClient,
    project_id: &str,
    pipeline_id: &str,
    run_id: &str,
    poll: Poll,
) -> Result<Waited, CliError> {
    let what = format!("pipeline run {run_id}");
    let mut progress = Progress::new();
    let result = until(poll, &what, &mut progress, || async {
        let request =
            ShowPipelineRunDetailRequest::new(project_id, pipeline_id).set_pipeline_run_id(run_id);
        let detail = client.show_pipeline_run_detail(request).await?;
        let status = detail.status.clone().unwrap_or_default();
        let state = format!("{what}: {}", or_unknown(&status));
        let value = serde_json::to_value(&detail).unwrap_or_default();
        Ok((phase(&status), state, value))
    })
    .await;
    progress.finish();
    result
}

/// Waits for build `build_no` of job `job_id` to end.
pub async fn build(
    client: &BuildClient,
    job_id: &str,
    build_no: i64,
    poll: Poll,
) -> Result<Waited, CliError> {
    let what = format!("build {job_id} #{build_no}");
    let mut progress = Progress::new();
    let result = until(poll, &what, &mut progress, || async {
        let building = client
            .show_job_status(ShowJobStatusRequest::new(job_id))
            .await?
            .result
            .unwrap_or(false);
        let details = client
            .show_history_details(ShowHistoryDetailsRequest::new(job_id, build_no))
            .await?;
        let steps = details.build_steps.clone().unwrap_or_default();
        let phases: Vec<Phase> = steps
            .iter()
            .map(|s| step_phase(s.status.as_deref().unwrap_or_default()))
            .collect();
        let phase = if phases.contains(&Phase::Failed) && !building {
            Phase::Failed
        } else if !building && !phases.is_empty() && phases.iter().all(|p| *p == Phase::Succeeded) {
            Phase::Succeeded
        } else {
            Phase::Running
        };
        let done = phases.iter().filter(|p| **p != Phase::Running).count();
        let current = steps
            .iter()
            .find(|s| step_phase(s.status.as_deref().unwrap_or_default()) != Phase::Succeeded)
            .map(|s| {
                format!(
                    ", {} {}",
                    s.name.as_deref().unwrap_or("step"),
                    or_unknown(s.status.as_deref().unwrap_or_default())
                )
            })
            .unwrap_or_default();
        let word = match phase {
            Phase::Running if building => "building",
            Phase::Running => "waiting",
            Phase::Succeeded => "succeeded",
            Phase::Failed => "failed",
        };
        let state = format!(
            "{what}: {word}, {done}/{} steps ended{current}",
            steps.len()
        );
        let value = serde_json::to_value(&details).unwrap_or_default();
        Ok((phase, state, value))
    })
    .await;
    progress.finish();
    result
}

fn or_unknown(status: &str) -> &str {
    if status.is_empty() {
        "(no status yet)"
    } else {
        status
    }
}

async fn until<F, Fut>(
    poll: Poll,
    what: &str,
    progress: &mut Progress,
    mut read: F,
) -> Result<Waited, CliError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(Phase, String, serde_json::Value), CliError>>,
{
    let started = Instant::now();
    // A timeout too large for the clock (`--timeout 9223372036854775807`) is no deadline.
    let deadline = started.checked_add(poll.timeout);
    let left = || {
        deadline.map_or(Duration::MAX, |d| {
            d.saturating_duration_since(Instant::now())
        })
    };
    let mut last_state = String::from("no answer yet");
    loop {
        let remaining = left();
        let timed_out = || {
            CliError::timeout(format!(
                "timed out after {} waiting for {what} (last seen: {last_state})",
                show(poll.timeout)
            ))
        };
        let (phase, state, value) = match tokio::time::timeout(remaining, read()).await {
            Ok(answer) => answer?,
            Err(_) => {
                progress.finish();
                return Err(timed_out());
            }
        };
        progress.update(&state, started.elapsed());
        last_state = state;
        match phase {
            Phase::Succeeded => {
                return Ok(Waited {
                    code: EXIT_OK,
                    last: value,
                })
            }
            Phase::Failed => {
                return Ok(Waited {
                    code: EXIT_FAILED,
                    last: value,
                })
            }
            Phase::Running => {}
        }
        let remaining = left();
        if remaining.is_zero() {
            progress.finish();
            return Err(CliError::timeout(format!(
                "timed out after {} waiting for {what} (last seen: {last_state})",
                show(poll.timeout)
            )));
        }
        tokio::time::sleep(poll.interval.min(remaining)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases() {
        assert_eq!(phase("COMPLETED"), Phase::Succeeded);
        assert_eq!(phase("success"), Phase::Succeeded);
        assert_eq!(phase("FAILED"), Phase::Failed);
        assert_eq!(phase("CANCELED"), Phase::Failed);
        assert_eq!(phase("aborted"), Phase::Failed);
        assert_eq!(phase("RUNNING"), Phase::Running);
        assert_eq!(phase("PAUSED"), Phase::Running);
        assert_eq!(phase(""), Phase::Running);
        assert_eq!(step_phase("skipped"), Phase::Succeeded);
    }
}
