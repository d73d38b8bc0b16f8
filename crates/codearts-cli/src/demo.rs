//! `codearts demo`: the seed scenarios end to end, over the SDK clients, against any
//! compatible server.
//!
//! 1. authenticate: an IAM token for password credentials (never printed), a given token, or
//!    AK/SK signing;
//! 2. create a pipeline whose only step is a manual review, and run it;
//! 3. wait until the run stops at the review, reject it, and show the run refused;
//! 4. create a build job and show its permission matrix.
//!
//! [`run`] takes an endpoint and credentials, so it works against the real service, the
//! emulator, or a test server alike.

use std::io::Write;
use std::time::{Duration, SystemTime};

use codearts_auth::{Credentials, TokenProvider};
use codearts_build::model::{
    CreateBuildJobRequest, CreateBuildJobRequestBody, CreateBuildJobSteps,
    ShowProjectJobPermissionRequest,
};
use codearts_build::BuildClient;
use codearts_pipeline::model::{
    CreatePipelineNewRequest, PipelineDTO, RejectManualReviewRequest, RunPipelineDTO,
    RunPipelineRequest,
};
use codearts_pipeline::PipelineClient;
use codearts_transport::{Endpoint, SharedHttpClient};
use secrecy::ExposeSecret;

use crate::duration::show;
use crate::CliError;
use codearts_pipeline::waiters::{ReviewWait, RunOutcome, WaitPolicy};

/// The project the demo works in unless told otherwise.
pub const DEMO_PROJECT_ID: &str = "c0dea4700000000000000000000000de";

/// The plugin the demo pipeline's review step runs.
pub const MANUAL_REVIEW_TASK: &str = "official_manual_review";

/// The definition of the demo pipeline: one stage, one job, one manual review step.
pub const PIPELINE_DEFINITION: &str = r#"{"stages":[{"name":"Review","identifier":"stage-review","sequence":"0","jobs":[{"name":"Manual review","identifier":"job-review","sequence":0,"steps":[{"name":"Manual review","task":"official_manual_review","sequence":0,"inputs":[{"key":"approvers","value":"demo"}]}]}]}]}"#;

/// Where and how the demo runs.
pub struct DemoTarget {
    /// The endpoint of both services (the emulator serves both on one address).
    pub endpoint: String,
    /// The IAM endpoint for password credentials; the service endpoint when `None`.
    pub iam_endpoint: Option<String>,
    /// Who the demo acts as.
    pub credentials: Credentials,
    /// The project to work in.
    pub project_id: String,
    /// The HTTP client under the auth layer.
    pub http: SharedHttpClient,
    /// Between two reads of the run.
    pub poll_interval: Duration,
    /// How long to wait for the run to reach the review, and then to end.
    pub step_timeout: Duration,
}

/// What the demo created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// The pipeline created.
    pub pipeline_id: String,
    /// Its run.
    pub pipeline_run_id: String,
    /// The run's status after the rejection.
    pub final_status: String,
    /// The build job created.
    pub job_id: String,
}

fn missing(what: &str) -> CliError {
    CliError::failure(format!("the server's answer has no {what}"))
}

/// Runs the demo, printing each step to `out`.
pub async fn run(target: &DemoTarget, out: &mut dyn Write) -> Result<DemoReport, CliError> {
    let say = |out: &mut dyn Write, line: String| {
        let _ = writeln!(out, "{}", crate::output::escape_control(&line));
        let _ = out.flush();
    };
    say(
        out,
        format!(
            "codearts demo against {}",
            codearts_transport::redirect::redact_userinfo(&target.endpoint)
        ),
    );

    // 1. Authenticate.
    let credentials = match &target.credentials {
        Credentials::Password(password) => {
            let iam = Endpoint::parse(target.iam_endpoint.as_deref().unwrap_or(&target.endpoint))?;
            let provider = TokenProvider::new(password.clone(), iam.clone(), target.http.clone());
            let token = provider.token().await?;
            let expires = provider
                .expires_at()
                .await
                .and_then(|at| at.duration_since(SystemTime::now()).ok())
                .map(|d| format!("expires in {}", show(d)))
                .unwrap_or_else(|| "expiry unknown".to_owned());
            say(
                out,
                format!(
                    "1. IAM token for user `{}` from {iam}: obtained ({} characters, {expires}; never printed)",
                    password.user_name(),
                    token.expose_secret().len()
                ),
            );
            Credentials::Token(token)
        }
        Credentials::Token(token) => {
            say(out, "1. IAM token: given, sent as X-Auth-Token".to_owned());
            Credentials::Token(token.clone())
        }
        Credentials::AkSk(aksk) => {
            say(
                out,
                "1. AK/SK: every request is signed with SDK-HMAC-SHA256; no token needed"
                    .to_owned(),
            );
            Credentials::AkSk(aksk.clone())
        }
    };
    let pipeline: PipelineClient = PipelineClient::builder()
        .endpoint(target.endpoint.clone())
        .credentials(credentials.clone())
        .http_client(target.http.clone())
        .build()?;
    let build: BuildClient = BuildClient::builder()
        .endpoint(target.endpoint.clone())
        .credentials(credentials)
        .http_client(target.http.clone())
        .build()?;
    let project = target.project_id.as_str();

    // 2. Create and run a pipeline that stops at a manual review.
    let name = format!(
        "codearts-demo-{}",
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    );
    let created = pipeline
        .create_pipeline_new(
            CreatePipelineNewRequest::new(project).set_body(PipelineDTO::new(
                name.clone(),
                false,
                PIPELINE_DEFINITION,
            )),
        )
        .await?;
    let pipeline_id = created.pipeline_id.ok_or_else(|| missing("pipeline_id"))?;
    say(
        out,
        format!("2. created pipeline `{name}` ({pipeline_id}) with one manual review step"),
    );
    let started = pipeline
        .run_pipeline(
            RunPipelineRequest::new(project, pipeline_id.clone())
                .set_body(RunPipelineDTO::new().set_description("started by codearts demo")),
        )
        .await?;
    let run_id = started
        .pipeline_run_id
        .ok_or_else(|| missing("pipeline_run_id"))?;
    say(out, format!("3. started run {run_id}"));

    // 3. Wait for the review, reject it, show the run refused.
    // The library's waiter decides what a waiting review and an ended run look like.
    let waiter = pipeline
        .run_waiter(project, pipeline_id.clone(), run_id.clone())
        .policy(WaitPolicy::fixed(target.poll_interval, target.step_timeout));
    let review = match waiter.until_review().await? {
        ReviewWait::Pending(review) => review,
        ReviewWait::Ended(RunOutcome::TimedOut(_)) => {
            return Err(CliError::timeout(format!(
                "the run did not reach its manual review within {}",
                show(target.step_timeout)
            )))
        }
        ReviewWait::Ended(outcome) => {
            return Err(CliError::failure(format!(
                "the run ended ({}) without reaching a manual review",
                outcome.status().unwrap_or_default()
            )))
        }
    };
    let status = review.detail.status.clone().unwrap_or_default();
    let (job_run_id, step_run_id) = (review.job_run_id, review.step_run_id);
    say(
        out,
        format!(
            "4. run {run_id} is {} at the manual review (job run {job_run_id}, step run {step_run_id})",
            if status.is_empty() { "waiting" } else { &status }
        ),
    );
    let rejected = pipeline
        .reject_manual_review(
            RejectManualReviewRequest::new(
                project,
                pipeline_id.clone(),
                run_id.clone(),
                job_run_id,
                step_run_id,
            )
            .set_approval_description("rejected by codearts demo"),
        )
        .await?;
    say(
        out,
        format!(
            "5. rejected the review: success = {}",
            rejected
                .success
                .map(|b| b.to_string())
                .unwrap_or_else(|| "(not stated)".to_owned())
        ),
    );
    let final_status = match waiter.until_ended().await? {
        RunOutcome::TimedOut(last) => {
            let still = last.and_then(|d| d.status).unwrap_or_default();
            return Err(CliError::timeout(format!(
                "the run did not end within {} of the rejection (still {still})",
                show(target.step_timeout)
            )));
        }
        outcome => outcome.status().unwrap_or_default().to_owned(),
    };
    say(
        out,
        format!("6. run {run_id} ended: {final_status} (refused at the manual review)"),
    );

    // 4. A build job and its permission matrix.
    let job_name = format!("{name}-build");
    let step = CreateBuildJobSteps::new("devcloud2018.codeci_action_20057.action", "Shell")
        .set_properties(std::collections::BTreeMap::from([(
            "command".to_owned(),
            serde_json::Value::from("echo hello from codearts demo"),
        )]));
    let job =
        build
            .create_build_job(CreateBuildJobRequest::new().set_body(
                CreateBuildJobRequestBody::new("x86", project, job_name.clone(), vec![step]),
            ))
            .await?;
    let job_id = job
        .result
        .and_then(|r| r.job_id)
        .ok_or_else(|| missing("result.job_id"))?;
    say(out, format!("7. created build job `{job_name}` ({job_id})"));
    let permission = build
        .show_project_job_permission(ShowProjectJobPermissionRequest::new(
            project,
            job_id.clone(),
        ))
        .await?;
    let matrix = permission
        .result
        .ok_or_else(|| missing("permission result"))?;
    say(
        out,
        format!(
            "8. your permissions on job {job_id}{}:",
            matrix
                .role_id
                .map(|r| format!(" (role {r})"))
                .unwrap_or_default()
        ),
    );
    let yes_no = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    };
    for (what, value) in [
        ("view", matrix.is_view),
        ("execute", matrix.is_execute),
        ("modify", matrix.is_modify),
        ("copy", matrix.is_copy),
        ("delete", matrix.is_delete),
        ("forbid", matrix.is_forbidden),
        ("manage", matrix.is_manager),
    ] {
        say(out, format!("     {what:<8} {}", yes_no(value)));
    }
    say(out, "done.".to_owned());
    Ok(DemoReport {
        pipeline_id,
        pipeline_run_id: run_id,
        final_status,
        job_id,
    })
}
