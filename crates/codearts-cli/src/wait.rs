//! `pipeline wait-run` and `build wait-build`: the facades' waiters
//! (`codearts_pipeline::waiters`, `codearts_build::waiters`) with a progress line on stderr.
//!
//! What counts as ended, succeeded or failed is the library's call (its status tables); a
//! failed, refused or stopped run or build exits with [`EXIT_FAILED`].

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use codearts_build::waiters::{BuildOutcome, BuildPhase, BuildState};
use codearts_build::BuildClient;
use codearts_pipeline::waiters::{RunOutcome, WaitPolicy};
use codearts_pipeline::PipelineClient;

use crate::duration::show;
use crate::{CliError, EXIT_FAILED, EXIT_OK};

/// How long a wait lasts without `--timeout`.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);

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

impl Poll {
    /// The library's policy for this wait: the interval the user chose, kept fixed.
    fn policy(self) -> WaitPolicy {
        WaitPolicy::fixed(self.interval, self.timeout)
    }
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
    let started = Instant::now();
    let mut progress = Progress::new();
    let mut last_state = String::from("no answer yet");
    let outcome = {
        let waiter = client
            .run_waiter(project_id, pipeline_id, run_id)
            .policy(poll.policy())
            .observe(|detail| {
                let status = detail.status.as_deref().unwrap_or_default();
                last_state = format!("{what}: {}", or_unknown(status));
                progress.update(&last_state, started.elapsed());
            });
        waiter.until_ended().await
    };
    progress.finish();
    let (code, detail) = match outcome? {
        RunOutcome::Succeeded(d) => (EXIT_OK, d),
        RunOutcome::Failed(d) | RunOutcome::Stopped(d) => (EXIT_FAILED, d),
        RunOutcome::TimedOut(_) => return Err(timed_out(poll, &what, &last_state)),
    };
    Ok(Waited {
        code,
        last: serde_json::to_value(&detail).unwrap_or_default(),
    })
}

/// Waits for build `build_no` of job `job_id` to end.
pub async fn build(
    client: &BuildClient,
    job_id: &str,
    build_no: i64,
    poll: Poll,
) -> Result<Waited, CliError> {
    let what = format!("build {job_id} #{build_no}");
    let started = Instant::now();
    let mut progress = Progress::new();
    let mut last_state = String::from("no answer yet");
    let outcome = {
        let waiter = client
            .build_waiter(job_id, build_no)
            .policy(poll.policy())
            .observe(|state| {
                last_state = format!("{what}: {}", describe(state));
                progress.update(&last_state, started.elapsed());
            });
        waiter.until_ended().await
    };
    progress.finish();
    let (code, state) = match outcome? {
        BuildOutcome::Succeeded(s) => (EXIT_OK, s),
        BuildOutcome::Failed(s) | BuildOutcome::Stopped(s) => (EXIT_FAILED, s),
        BuildOutcome::TimedOut(_) => return Err(timed_out(poll, &what, &last_state)),
    };
    Ok(Waited {
        code,
        last: serde_json::to_value(&state.details).unwrap_or_default(),
    })
}

/// One build reading in words: `building, 1/2 steps ended, step 1 running`.
fn describe(state: &BuildState) -> String {
    let word = match state.phase() {
        BuildPhase::Running if state.building => "building",
        BuildPhase::Running => "waiting",
        BuildPhase::Succeeded => "succeeded",
        BuildPhase::Failed => "failed",
        BuildPhase::Stopped => "stopped",
    };
    let current = state
        .current_step()
        .map(|s| {
            format!(
                ", {} {}",
                s.name.as_deref().unwrap_or("step"),
                or_unknown(s.status.as_deref().unwrap_or_default())
            )
        })
        .unwrap_or_default();
    format!(
        "{word}, {}/{} steps ended{current}",
        state.steps_ended(),
        state.steps().len()
    )
}

fn timed_out(poll: Poll, what: &str, last_state: &str) -> CliError {
    CliError::timeout(format!(
        "timed out after {} waiting for {what} (last seen: {last_state})",
        show(poll.timeout)
    ))
}

fn or_unknown(status: &str) -> &str {
    if status.is_empty() {
        "(no status yet)"
    } else {
        status
    }
}
