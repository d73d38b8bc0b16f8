//! The emulator's in-memory state and its implementation of the facades' stub traits for the
//! core flows: pipelines (create, list, show, run, stop, delete, manual review) and build jobs
//! (create, list, show, run, status, stop, history, delete, role permissions).
//!
//! Every other operation keeps the stub's default body (`Unimplemented`), which the adapter
//! turns into a spec-conforming empty answer.
//!
//! A [`Session`] sees only the projects of its caller's account, and what is in them: another
//! account's project or object is "not found". Its role decides what it may do.

pub mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::UNIX_EPOCH;

use codearts_auth::SharedClock;
use codearts_model::build as b;
use codearts_model::pipeline as p;
use codearts_transport::Error;
use http::StatusCode;

use crate::adapter::{codes, ApiError};
use crate::fixture::{Account, Fixture};
use store::{Key, Store, StoreError};

/// Who is calling: the user an access key or token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user id.
    pub user_id: String,
    /// The user name.
    pub user_name: String,
    /// The domain (account) id.
    pub domain_id: String,
    /// The user's CodeArts role id.
    pub role_id: i64,
}

/// The status words of pipeline runs, stages, jobs and steps this server sends. The client
/// side reads them in one place, `codearts_pipeline::waiters::run_phase`.
pub mod status {
    /// Still going.
    pub const RUNNING: &str = "RUNNING";
    /// A manual review step waiting for a decision.
    pub const PENDING: &str = "PENDING";
    /// Finished successfully.
    pub const COMPLETED: &str = "COMPLETED";
    /// Failed, or refused at a manual review.
    pub const FAILED: &str = "FAILED";
    /// Stopped by a user.
    pub const CANCELED: &str = "CANCELED";
}

/// The result words of builds.
pub mod build_result {
    /// Still building.
    pub const RUNNING: &str = "RUNNING";
    /// Built.
    pub const SUCCESS: &str = "SUCCESS";
    /// Stopped by a user.
    pub const ABORTED: &str = "ABORTED";
}

/// A status word. An alias, not `&'static str` written out, so that serde's derive does not
/// take the field for a string borrowed from its input.
type Word = &'static str;

/// Keeps the `&'static str` status words as strings in the state directory, and reads back
/// only the words this emulator knows.
mod word {
    use serde::{Deserialize, Deserializer, Serializer};

    const WORDS: &[&str] = &[
        super::status::RUNNING,
        super::status::PENDING,
        super::status::COMPLETED,
        super::status::FAILED,
        super::status::CANCELED,
        super::build_result::SUCCESS,
        super::build_result::ABORTED,
    ];

    pub(super) fn serialize<S: Serializer>(word: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(word)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let text = String::deserialize(d)?;
        WORDS
            .iter()
            .find(|w| **w == text)
            .copied()
            .ok_or_else(|| serde::de::Error::custom(format!("unknown status `{text}`")))
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Pipeline {
    id: String,
    project_id: String,
    name: String,
    description: Option<String>,
    definition: String,
    is_publish: bool,
    manual_review: bool,
    creator_id: String,
    creator_name: String,
    create_time: i64,
    runs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Review {
    stage_id: String,
    job_run_id: String,
    step_run_id: String,
    #[serde(with = "word")]
    status: Word,
    message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Run {
    id: String,
    pipeline_id: String,
    number: i64,
    #[serde(with = "word")]
    status: Word,
    review: Option<Review>,
    start_time: i64,
    end_time: Option<i64>,
    polls_left: u32,
    executor_id: String,
    executor_name: String,
    description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Build {
    number: i64,
    #[serde(with = "word")]
    result: Word,
    start_time: i64,
    end_time: Option<i64>,
    polls_left: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Job {
    id: String,
    project_id: String,
    config: b::CreateBuildJobRequestBody,
    creator_id: String,
    creator_name: String,
    create_time: i64,
    builds: Vec<Build>,
}

/// One role's permissions on one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Permission {
    modify: bool,
    delete: bool,
    view: bool,
    execute: bool,
    copy: bool,
    forbidden: bool,
    manager: bool,
    update_time: i64,
}

impl Permission {
    /// The default matrix of a role: 3 (project manager) may do everything; 7 and 8
    /// (participant, viewer) may only view; every other role may view, execute and copy.
    fn default_for(role_id: i64, now: i64) -> Self {
        let all = role_id == 3;
        let view_only = matches!(role_id, 7 | 8);
        Permission {
            modify: all,
            delete: all,
            view: true,
            execute: !view_only,
            copy: !view_only,
            forbidden: false,
            manager: all,
            update_time: now,
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct Inner {
    next_id: u64,
    pipelines: BTreeMap<String, Pipeline>,
    runs: BTreeMap<String, Run>,
    jobs: BTreeMap<String, Job>,
    permissions: BTreeMap<(String, i64), Permission>,
}

impl Inner {
    /// A fresh 32-hex id, deterministic in the order of creation.
    fn id(&mut self) -> String {
        self.next_id += 1;
        let n = self.next_id;
        format!("{:016x}{:016x}", splitmix(n), splitmix(n ^ 0x5eed))
    }
}

/// SplitMix64: a small, well-known mixing function (deterministic ids and fault draws).
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The in-memory state of the emulated services.
pub struct State {
    inner: Mutex<Inner>,
    clock: SharedClock,
    polls_until_done: u32,
    /// Project id -> the domain (account) id it belongs to; fixed at start.
    projects: BTreeMap<String, String>,
    /// The state directory's database; locked after `inner`, never before.
    store: Option<Mutex<Store>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

fn not_found(what: &str, id: &str) -> Error {
    ApiError::new(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        format!("{what} `{id}` does not exist"),
    )
    .into_error()
}

fn invalid_state(message: impl Into<String>) -> Error {
    ApiError::bad_request(codes::INVALID_STATE, message).into_error()
}

fn bad_body(message: impl Into<String>) -> Error {
    ApiError::bad_request(codes::INVALID_BODY, message).into_error()
}

fn forbidden(message: impl Into<String>) -> Error {
    ApiError::new(StatusCode::FORBIDDEN, "EMU.40301", message).into_error()
}

/// True when a pipeline definition asks for a manual review: it mentions "manual review",
/// "manual_review" or "manualReview" (any case).
pub fn wants_manual_review(definition: &str) -> bool {
    let lower = definition.to_ascii_lowercase();
    [
        "manual review",
        "manual_review",
        "manualreview",
        "manual-review",
    ]
    .iter()
    .any(|k| lower.contains(k))
}

/// The accounts of a state directory at start: those it kept, each replaced by the account
/// of the same domain id in `given` (the fixture of this start), and the new ones of `given`
/// added, in the order of their ids.
pub fn merge_accounts(kept: Vec<Account>, given: &[Account]) -> Vec<Account> {
    let mut by_id: BTreeMap<String, Account> =
        kept.into_iter().map(|a| (a.domain_id.clone(), a)).collect();
    for account in given {
        by_id.insert(account.domain_id.clone(), account.clone());
    }
    by_id.into_values().collect()
}

impl State {
    /// The state seeded from `fixture`, in memory only, reading time from `clock`.
    pub fn new(fixture: &Fixture, clock: SharedClock) -> Self {
        Self::seeded(fixture, clock, None)
    }

    /// The state kept in the state directory `dir` (created when absent), and the fixture in
    /// force: the directory's accounts merged with `fixture`'s ([`merge_accounts`]). A new
    /// directory is seeded from `fixture`; an existing one keeps its objects, and `fixture`'s
    /// seed objects are not created again.
    pub fn open(
        fixture: &Fixture,
        clock: SharedClock,
        dir: &Path,
    ) -> Result<(Self, Fixture), StoreError> {
        let mut store = Store::open(dir)?;
        let accounts = merge_accounts(store.accounts()?, &fixture.accounts);
        let effective = Fixture {
            accounts,
            ..fixture.clone()
        };
        let state = if store.seeded()? {
            let inner = store.load()?;
            let mut state = Self::seeded(
                &Fixture {
                    pipelines: Vec::new(),
                    build_jobs: Vec::new(),
                    ..effective.clone()
                },
                clock,
                None,
            );
            state.inner = Mutex::new(inner);
            state
        } else {
            Self::seeded(&effective, clock, None)
        };
        store.init(&effective.accounts, &state.lock())?;
        let state = State {
            store: Some(Mutex::new(store)),
            ..state
        };
        Ok((state, effective))
    }

    fn seeded(fixture: &Fixture, clock: SharedClock, store: Option<Mutex<Store>>) -> Self {
        let projects = fixture
            .accounts
            .iter()
            .flat_map(|a| {
                a.projects
                    .iter()
                    .map(|p| (p.id.clone(), a.domain_id.clone()))
            })
            .collect();
        let state = State {
            inner: Mutex::new(Inner::default()),
            clock,
            polls_until_done: fixture.polls_until_done.unwrap_or(0),
            projects,
            store,
        };
        // Seeded objects are created by the first user of the account owning their project.
        let owner_of = |project_id: &str| {
            fixture
                .accounts
                .iter()
                .find(|a| a.projects.iter().any(|p| p.id == project_id))
                .and_then(|a| a.users.first())
                .map(|u| (u.id.clone(), u.name.clone()))
                .unwrap_or_default()
        };
        {
            let now = state.now();
            let mut inner = state.lock();
            for seed in &fixture.pipelines {
                let id = seed.id.clone().unwrap_or_else(|| inner.id());
                let owner = owner_of(&seed.project_id);
                let pipeline = Pipeline {
                    id: id.clone(),
                    project_id: seed.project_id.clone(),
                    name: seed.name.clone(),
                    description: None,
                    definition: seed.definition.clone(),
                    is_publish: false,
                    manual_review: seed.manual_review || wants_manual_review(&seed.definition),
                    creator_id: owner.0.clone(),
                    creator_name: owner.1.clone(),
                    create_time: now,
                    runs: Vec::new(),
                };
                inner.pipelines.insert(id, pipeline);
            }
            for seed in &fixture.build_jobs {
                let id = seed.id.clone().unwrap_or_else(|| inner.id());
                let owner = owner_of(&seed.project_id);
                let config = b::CreateBuildJobRequestBody::new(
                    "x86",
                    seed.project_id.clone(),
                    seed.job_name.clone(),
                    Vec::<b::CreateBuildJobSteps>::new(),
                );
                inner.jobs.insert(
                    id.clone(),
                    Job {
                        id,
                        project_id: seed.project_id.clone(),
                        config,
                        creator_id: owner.0.clone(),
                        creator_name: owner.1.clone(),
                        create_time: now,
                        builds: Vec::new(),
                    },
                );
            }
        }
        state
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every mutation is a few
        // assignments), so a poisoned lock is used as it is.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the change to the objects `keys` name durable before it is answered: in a state
    /// directory, one committed transaction (the id counter with them). When the write fails,
    /// memory goes back to what the directory holds, so that the refused change is not kept
    /// half, and the caller gets a 500.
    fn commit(&self, inner: &mut Inner, keys: &[Key]) -> Result<(), Error> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
        let Err(e) = store.commit(inner, keys) else {
            return Ok(());
        };
        tracing::error!(error = %e, "a change could not be written to the state directory");
        match store.load() {
            Ok(kept) => *inner = kept,
            Err(e) => tracing::error!(error = %e, "the state directory could not be read back"),
        }
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            format!("the change could not be saved: {e}"),
        )
        .into_error())
    }

    /// Milliseconds since the epoch, from the emulator's clock.
    fn now(&self) -> i64 {
        self.clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    /// True when `project_id` is a project of the account `domain_id`. Projects no account
    /// of the fixture declares belong to nobody.
    pub fn project_belongs_to(&self, project_id: &str, domain_id: &str) -> bool {
        self.projects
            .get(project_id)
            .is_some_and(|d| d == domain_id)
    }

    /// The state as seen by `caller`: what the stub traits are implemented for.
    pub fn session(self: &Arc<Self>, caller: Caller) -> Session {
        Session {
            state: Arc::clone(self),
            caller,
        }
    }

    /// The permission of `role_id` on `job_id`.
    fn permission(inner: &Inner, job_id: &str, role_id: i64, now: i64) -> Permission {
        inner
            .permissions
            .get(&(job_id.to_owned(), role_id))
            .copied()
            .unwrap_or_else(|| Permission::default_for(role_id, now))
    }
}

/// The state seen by one caller; implements [`codearts_pipeline::stub::Pipeline`] and
/// [`codearts_build::stub::Build`].
#[derive(Clone)]
pub struct Session {
    state: Arc<State>,
    caller: Caller,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

/// What a caller asks to do with a pipeline or a build job, checked against its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    /// Read it, its runs and their details.
    View,
    /// Create one, run it, stop a run, pass or refuse a review.
    Execute,
    /// Delete it.
    Delete,
    /// Change who may do what with it.
    Manage,
}

impl Act {
    /// Whether `perm` allows this act, and its verb for the refusal.
    fn allowed_by(self, perm: &Permission) -> (bool, &'static str) {
        match self {
            Act::View => (perm.view, "view"),
            Act::Execute => (perm.execute && !perm.forbidden, "execute"),
            Act::Delete => (perm.delete, "delete"),
            Act::Manage => (perm.manager, "manage"),
        }
    }
}

impl Session {
    /// Refuses a project of another account as the cloud does an absent one: 404.
    fn own_project(&self, project_id: &str) -> Result<(), Error> {
        if self
            .state
            .project_belongs_to(project_id, &self.caller.domain_id)
        {
            Ok(())
        } else {
            Err(not_found("project", project_id))
        }
    }

    /// Refuses an act the caller's role does not allow on `what` (the roles' default matrix:
    /// pipelines have no per-object permissions, new build jobs have none yet).
    fn may(&self, act: Act, what: &str) -> Result<(), Error> {
        let (allowed, verb) = act.allowed_by(&Permission::default_for(self.caller.role_id, 0));
        if allowed {
            Ok(())
        } else {
            Err(forbidden(format!(
                "role {} may not {verb} {what}",
                self.caller.role_id
            )))
        }
    }

    /// The pipeline, when it is in `project_id`, that project is the caller's account's,
    /// and the caller's role allows `act`.
    fn pipeline_of<'a>(
        &self,
        inner: &'a mut Inner,
        project_id: &str,
        pipeline_id: &str,
        act: Act,
    ) -> Result<&'a mut Pipeline, Error> {
        self.own_project(project_id)?;
        let pipeline = match inner.pipelines.get_mut(pipeline_id) {
            Some(p) if p.project_id == project_id => p,
            _ => return Err(not_found("pipeline", pipeline_id)),
        };
        self.may(act, "pipelines")?;
        Ok(pipeline)
    }
}

fn run_of<'a>(inner: &'a mut Inner, pipeline_id: &str, run_id: &str) -> Result<&'a mut Run, Error> {
    match inner.runs.get_mut(run_id) {
        Some(r) if r.pipeline_id == pipeline_id => Ok(r),
        _ => Err(not_found("pipeline run", run_id)),
    }
}

fn step(
    name: &str,
    id: &str,
    task: &str,
    status: &str,
    start: i64,
    end: Option<i64>,
) -> p::StepRun {
    let mut s = p::StepRun::new()
        .set_id(id)
        .set_name(name)
        .set_task(task)
        .set_status(status)
        .set_sequence(0)
        .set_start_time(start);
    if let Some(end) = end {
        s = s.set_end_time(end);
    }
    s
}

fn run_detail(pipeline: &Pipeline, run: &Run) -> p::ShowPipelineRunDetailResponse {
    let end = run.end_time.unwrap_or(0);
    let stage = match &run.review {
        Some(review) => {
            let mut step = step(
                "Manual review",
                &review.step_run_id,
                "official_devcloud_manualReview",
                review.status,
                run.start_time,
                run.end_time,
            );
            if let Some(m) = &review.message {
                step = step.set_message(m.clone());
            }
            let job = p::JobRun::new()
                .set_id(review.job_run_id.clone())
                .set_name("Manual review")
                .set_sequence(0)
                .set_status(review.status)
                .set_start_time(run.start_time)
                .set_end_time(end)
                .set_steps(vec![step]);
            p::StageRun::new()
                .set_id(review.stage_id.clone())
                .set_name("Review")
                .set_sequence(0)
                .set_status(review.status)
                .set_start_time(run.start_time)
                .set_end_time(end)
                .set_jobs(vec![job])
        }
        None => {
            let job = p::JobRun::new()
                .set_id(format!("{}-job", run.id))
                .set_name("Build")
                .set_sequence(0)
                .set_status(run.status)
                .set_start_time(run.start_time)
                .set_end_time(end)
                .set_steps(vec![step(
                    "Build",
                    &format!("{}-step", run.id),
                    "official_devcloud_cloudBuild",
                    run.status,
                    run.start_time,
                    run.end_time,
                )]);
            p::StageRun::new()
                .set_id(format!("{}-stage", run.id))
                .set_name("Build")
                .set_sequence(0)
                .set_status(run.status)
                .set_start_time(run.start_time)
                .set_end_time(end)
                .set_jobs(vec![job])
        }
    };
    let mut detail = p::ShowPipelineRunDetailResponse::new()
        .set_id(run.id.clone())
        .set_pipeline_id(pipeline.id.clone())
        .set_project_id(pipeline.project_id.clone())
        .set_name(pipeline.name.clone())
        .set_manifest_version("3.0")
        .set_is_publish(pipeline.is_publish)
        .set_executor_id(run.executor_id.clone())
        .set_executor_name(run.executor_name.clone())
        .set_status(run.status)
        .set_trigger_type("Manual")
        .set_run_number(run.number)
        .set_start_time(run.start_time)
        .set_end_time(end)
        .set_stages(vec![stage]);
    if let Some(d) = &run.description {
        detail = detail.set_description(d.clone());
    }
    detail
}

#[async_trait::async_trait]
impl codearts_pipeline::stub::Pipeline for Session {
    async fn create_pipeline_new(
        &self,
        request: p::CreatePipelineNewRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::CreatePipelineNewResponse> {
        let body = request
            .body
            .ok_or_else(|| bad_body("the body (a PipelineDTO) is required"))?;
        self.own_project(&request.project_id)?;
        self.may(Act::Execute, "pipelines")?;
        if body.name.trim().is_empty() {
            return Err(bad_body("the pipeline `name` is empty"));
        }
        let now = self.state.now();
        let mut inner = self.state.lock();
        let id = inner.id();
        let pipeline = Pipeline {
            id: id.clone(),
            project_id: request.project_id,
            name: body.name,
            description: body.description,
            manual_review: wants_manual_review(&body.definition),
            definition: body.definition,
            is_publish: body.is_publish,
            creator_id: self.caller.user_id.clone(),
            creator_name: self.caller.user_name.clone(),
            create_time: now,
            runs: Vec::new(),
        };
        inner.pipelines.insert(id.clone(), pipeline);
        self.state
            .commit(&mut inner, &[Key::Pipeline(id.clone())])?;
        Ok(p::CreatePipelineNewResponse::new().set_pipeline_id(id))
    }

    async fn list_pipelines(
        &self,
        request: p::ListPipelinesRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::ListPipelinesResponse> {
        self.own_project(&request.project_id)?;
        self.may(Act::View, "pipelines")?;
        let query = request.body.unwrap_or_default();
        let offset = query.offset.unwrap_or(0).max(0);
        let limit = query.limit.unwrap_or(10).clamp(1, 100);
        let inner = self.state.lock();
        let matching: Vec<&Pipeline> = inner
            .pipelines
            .values()
            .filter(|pl| pl.project_id == request.project_id)
            .filter(|pl| query.name.as_deref().is_none_or(|n| pl.name.contains(n)))
            .collect();
        let page: Vec<p::ListPipelinesPagePipelines> = matching
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(100))
            .map(|pl| {
                let mut item = p::ListPipelinesPagePipelines::new()
                    .set_pipeline_id(pl.id.clone())
                    .set_name(pl.name.clone())
                    .set_project_id(pl.project_id.clone())
                    .set_is_publish(pl.is_publish)
                    .set_manifest_version("3.0")
                    .set_create_time(pl.create_time);
                if let Some(run) = pl.runs.last().and_then(|id| inner.runs.get(id)) {
                    item = item.set_latest_run(
                        p::ListPipelinesPageLatestRun::new()
                            .set_pipeline_id(pl.id.clone())
                            .set_pipeline_run_id(run.id.clone())
                            .set_status(run.status)
                            .set_run_number(run.number)
                            .set_start_time(run.start_time)
                            .set_end_time(run.end_time.unwrap_or(0)),
                    );
                }
                item
            })
            .collect();
        Ok(p::ListPipelinesResponse::new()
            .set_offset(offset)
            .set_limit(limit)
            .set_total(i64::try_from(matching.len()).unwrap_or(i64::MAX))
            .set_current_system_time(self.state.now())
            .set_pipelines(page))
    }

    async fn show_pipeline_detail(
        &self,
        request: p::ShowPipelineDetailRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::ShowPipelineDetailResponse> {
        let mut inner = self.state.lock();
        let pl = self.pipeline_of(
            &mut inner,
            &request.project_id,
            &request.pipeline_id,
            Act::View,
        )?;
        let mut detail = p::ShowPipelineDetailResponse::new()
            .set_id(pl.id.clone())
            .set_name(pl.name.clone())
            .set_project_id(pl.project_id.clone())
            .set_domain_id(self.caller.domain_id.clone())
            .set_manifest_version("3.0")
            .set_is_publish(pl.is_publish)
            .set_creator_id(pl.creator_id.clone())
            .set_creator_name(pl.creator_name.clone())
            .set_create_time(pl.create_time)
            .set_update_time(pl.create_time)
            .set_definition(pl.definition.clone());
        if let Some(d) = &pl.description {
            detail = detail.set_description(d.clone());
        }
        Ok(detail)
    }

    async fn delete_pipeline(
        &self,
        request: p::DeletePipelineRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::DeletePipelineResponse> {
        let mut inner = self.state.lock();
        let runs = self
            .pipeline_of(
                &mut inner,
                &request.project_id,
                &request.pipeline_id,
                Act::Delete,
            )?
            .runs
            .clone();
        inner.pipelines.remove(&request.pipeline_id);
        let mut keys = vec![Key::Pipeline(request.pipeline_id.clone())];
        for run in runs {
            inner.runs.remove(&run);
            keys.push(Key::Run(run));
        }
        self.state.commit(&mut inner, &keys)?;
        Ok(p::DeletePipelineResponse::new().set_pipeline_id(request.pipeline_id))
    }

    async fn run_pipeline(
        &self,
        request: p::RunPipelineRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::RunPipelineResponse> {
        let now = self.state.now();
        let polls = self.state.polls_until_done;
        let mut inner = self.state.lock();
        let (manual_review, number) = {
            let pl = self.pipeline_of(
                &mut inner,
                &request.project_id,
                &request.pipeline_id,
                Act::Execute,
            )?;
            (
                pl.manual_review,
                i64::try_from(pl.runs.len()).unwrap_or(0) + 1,
            )
        };
        let run_id = inner.id();
        let review = if manual_review {
            Some(Review {
                stage_id: inner.id(),
                job_run_id: inner.id(),
                step_run_id: inner.id(),
                status: status::PENDING,
                message: None,
            })
        } else {
            None
        };
        let done = review.is_none() && polls == 0;
        let run = Run {
            id: run_id.clone(),
            pipeline_id: request.pipeline_id.clone(),
            number,
            status: if done {
                status::COMPLETED
            } else {
                status::RUNNING
            },
            review,
            start_time: now,
            end_time: done.then_some(now),
            polls_left: polls,
            executor_id: self.caller.user_id.clone(),
            executor_name: self.caller.user_name.clone(),
            description: request.body.and_then(|b| b.description),
        };
        inner.runs.insert(run_id.clone(), run);
        if let Some(pl) = inner.pipelines.get_mut(&request.pipeline_id) {
            pl.runs.push(run_id.clone());
        }
        self.state.commit(
            &mut inner,
            &[
                Key::Run(run_id.clone()),
                Key::Pipeline(request.pipeline_id.clone()),
            ],
        )?;
        Ok(p::RunPipelineResponse::new().set_pipeline_run_id(run_id))
    }

    async fn show_pipeline_run_detail(
        &self,
        request: p::ShowPipelineRunDetailRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::ShowPipelineRunDetailResponse> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        let pl = self
            .pipeline_of(
                &mut inner,
                &request.project_id,
                &request.pipeline_id,
                Act::View,
            )?
            .clone();
        let run_id = match (&request.pipeline_run_id, &request.pipeline_run_number) {
            (Some(id), _) => id.clone(),
            (None, Some(number)) => {
                let n: i64 = number.parse().map_err(|_| {
                    ApiError::invalid("query", "pipeline_run_number", number, "an integer")
                        .into_error()
                })?;
                pl.runs
                    .iter()
                    .find(|id| inner.runs.get(*id).is_some_and(|r| r.number == n))
                    .cloned()
                    .ok_or_else(|| not_found("pipeline run number", number))?
            }
            (None, None) => pl
                .runs
                .last()
                .cloned()
                .ok_or_else(|| not_found("a run of pipeline", &pl.id))?,
        };
        let run = run_of(&mut inner, &pl.id, &run_id)?;
        let polled = run.status == status::RUNNING && run.review.is_none();
        if polled {
            if run.polls_left <= 1 {
                run.status = status::COMPLETED;
                run.end_time = Some(now);
            } else {
                run.polls_left -= 1;
            }
        }
        let detail = run_detail(&pl, run);
        if polled {
            self.state.commit(&mut inner, &[Key::Run(run_id)])?;
        }
        Ok(detail)
    }

    async fn stop_pipeline_run(
        &self,
        request: p::StopPipelineRunRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::StopPipelineRunResponse> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        self.pipeline_of(
            &mut inner,
            &request.project_id,
            &request.pipeline_id,
            Act::Execute,
        )?;
        let run = run_of(&mut inner, &request.pipeline_id, &request.pipeline_run_id)?;
        if run.status != status::RUNNING {
            return Err(invalid_state(format!(
                "pipeline run `{}` is {}, not RUNNING",
                run.id, run.status
            )));
        }
        run.status = status::CANCELED;
        run.end_time = Some(now);
        if let Some(review) = &mut run.review {
            if review.status == status::PENDING {
                review.status = status::CANCELED;
            }
        }
        self.state
            .commit(&mut inner, &[Key::Run(request.pipeline_run_id.clone())])?;
        Ok(p::StopPipelineRunResponse::new().set_success(true))
    }

    async fn accept_manual_review(
        &self,
        request: p::AcceptManualReviewRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::AcceptManualReviewResponse> {
        self.decide(
            &request.project_id,
            &request.pipeline_id,
            &request.pipeline_run_id,
            &request.job_run_id,
            &request.step_run_id,
            true,
            request.approval_description,
        )?;
        Ok(p::AcceptManualReviewResponse::new().set_success(true))
    }

    async fn reject_manual_review(
        &self,
        request: p::RejectManualReviewRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_pipeline::Result<p::RejectManualReviewResponse> {
        self.decide(
            &request.project_id,
            &request.pipeline_id,
            &request.pipeline_run_id,
            &request.job_run_id,
            &request.step_run_id,
            false,
            request.approval_description,
        )?;
        Ok(p::RejectManualReviewResponse::new().set_success(true))
    }
}

/// A run of a pipeline, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run id.
    pub id: String,
    /// Its number within the pipeline, from 1.
    pub number: i64,
    /// Its status word ([`status`]).
    pub status: &'static str,
    /// True while a manual review waits for a decision.
    pub awaiting_review: bool,
}

impl Session {
    /// The runs of a pipeline, newest first, when the caller may view it (no API operation of
    /// the emulator lists runs; the console needs them).
    pub fn runs_of(&self, project_id: &str, pipeline_id: &str) -> Result<Vec<RunSummary>, Error> {
        let mut inner = self.state.lock();
        let ids = self
            .pipeline_of(&mut inner, project_id, pipeline_id, Act::View)?
            .runs
            .clone();
        Ok(ids
            .iter()
            .rev()
            .filter_map(|id| inner.runs.get(id))
            .map(|r| RunSummary {
                id: r.id.clone(),
                number: r.number,
                status: r.status,
                awaiting_review: r
                    .review
                    .as_ref()
                    .is_some_and(|v| v.status == status::PENDING),
            })
            .collect())
    }

    /// A run's stages, jobs and steps, when the caller may view its pipeline, without the
    /// poll that `show_pipeline_run_detail` counts: watching a run does not advance it.
    pub fn run_view(
        &self,
        project_id: &str,
        pipeline_id: &str,
        run_id: &str,
    ) -> Result<p::ShowPipelineRunDetailResponse, Error> {
        let mut inner = self.state.lock();
        let pl = self
            .pipeline_of(&mut inner, project_id, pipeline_id, Act::View)?
            .clone();
        let run = run_of(&mut inner, pipeline_id, run_id)?;
        Ok(run_detail(&pl, run))
    }

    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        project_id: &str,
        pipeline_id: &str,
        run_id: &str,
        job_run_id: &str,
        step_run_id: &str,
        pass: bool,
        description: Option<String>,
    ) -> Result<(), Error> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        self.pipeline_of(&mut inner, project_id, pipeline_id, Act::Execute)?;
        let run = run_of(&mut inner, pipeline_id, run_id)?;
        let run_status = run.status;
        let review = match &mut run.review {
            Some(r) if r.job_run_id == job_run_id && r.step_run_id == step_run_id => r,
            _ => return Err(not_found("manual review step", step_run_id)),
        };
        if review.status != status::PENDING || run_status != status::RUNNING {
            return Err(invalid_state(format!(
                "step `{step_run_id}` is not waiting for a review (it is {})",
                review.status
            )));
        }
        let verdict = if pass { "passed" } else { "refused" };
        review.message = Some(match description {
            Some(d) => format!("{verdict} by {}: {d}", self.caller.user_name),
            None => format!("{verdict} by {}", self.caller.user_name),
        });
        let final_status = if pass {
            status::COMPLETED
        } else {
            status::FAILED
        };
        review.status = final_status;
        run.status = final_status;
        run.end_time = Some(now);
        self.state
            .commit(&mut inner, &[Key::Run(run_id.to_owned())])
    }

    /// The job, when it is in a project of the caller's account (else 404, as for an absent
    /// one) and its permissions let the caller's role do `act` (else 403).
    fn job_in<'a>(
        &self,
        inner: &'a mut Inner,
        job_id: &str,
        act: Act,
    ) -> Result<&'a mut Job, Error> {
        let visible = inner.jobs.get(job_id).is_some_and(|j| {
            self.state
                .project_belongs_to(&j.project_id, &self.caller.domain_id)
        });
        if !visible {
            return Err(not_found("build job", job_id));
        }
        let perm = State::permission(inner, job_id, self.caller.role_id, self.state.now());
        let (allowed, verb) = act.allowed_by(&perm);
        if !allowed {
            return Err(forbidden(format!(
                "role {} may not {verb} job `{job_id}`",
                self.caller.role_id
            )));
        }
        inner
            .jobs
            .get_mut(job_id)
            .ok_or_else(|| not_found("build job", job_id))
    }

    fn job_list(
        &self,
        project_id: &str,
        page_index: i64,
        page_size: i64,
    ) -> Result<(Vec<b::Job>, i64), Error> {
        self.own_project(project_id)?;
        let now = self.state.now();
        let inner = self.state.lock();
        let size = usize::try_from(page_size.clamp(1, 100)).unwrap_or(10);
        let index = usize::try_from(page_index.max(0)).unwrap_or(0);
        let matching: Vec<&Job> = inner
            .jobs
            .values()
            .filter(|j| j.project_id == project_id)
            .collect();
        let jobs = matching
            .iter()
            .skip(index.saturating_mul(size))
            .take(size)
            .map(|j| {
                let perm = State::permission(&inner, &j.id, self.caller.role_id, now);
                let last = j.builds.last();
                let mut job = b::Job::new()
                    .set_id(j.id.clone())
                    .set_job_name(j.config.job_name.clone())
                    .set_job_creator(j.creator_id.clone())
                    .set_user_name(j.creator_name.clone())
                    .set_build_project_id(j.project_id.clone())
                    .set_is_modify(perm.modify)
                    .set_is_delete(perm.delete)
                    .set_is_execute(perm.execute)
                    .set_is_copy(perm.copy)
                    .set_is_forbidden(perm.forbidden)
                    .set_is_view(perm.view)
                    .set_disabled(false)
                    .set_favorite(false)
                    .set_is_finished(last.is_none_or(|b| b.result != build_result::RUNNING));
                if let Some(last) = last {
                    job = job
                        .set_last_build_status(last.result)
                        .set_last_build_time(last.start_time as f64);
                }
                job
            })
            .collect();
        Ok((jobs, i64::try_from(matching.len()).unwrap_or(i64::MAX)))
    }

    fn poll_build(build: &mut Build, now: i64) {
        if build.result == build_result::RUNNING {
            if build.polls_left <= 1 {
                build.result = build_result::SUCCESS;
                build.end_time = Some(now);
            } else {
                build.polls_left -= 1;
            }
        }
    }
}

#[async_trait::async_trait]
impl codearts_build::stub::Build for Session {
    async fn create_build_job(
        &self,
        request: b::CreateBuildJobRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::CreateBuildJobResponse> {
        let body = request
            .body
            .ok_or_else(|| bad_body("the body (CreateBuildJobRequestBody) is required"))?;
        if body.job_name.trim().is_empty() || body.project_id.trim().is_empty() {
            return Err(bad_body("`job_name` and `project_id` must not be empty"));
        }
        self.own_project(&body.project_id)?;
        self.may(Act::Execute, "build jobs")?;
        let now = self.state.now();
        let mut inner = self.state.lock();
        if inner
            .jobs
            .values()
            .any(|j| j.project_id == body.project_id && j.config.job_name == body.job_name)
        {
            return Err(invalid_state(format!(
                "a job named `{}` already exists in project `{}`",
                body.job_name, body.project_id
            )));
        }
        let id = inner.id();
        inner.jobs.insert(
            id.clone(),
            Job {
                id: id.clone(),
                project_id: body.project_id.clone(),
                config: body,
                creator_id: self.caller.user_id.clone(),
                creator_name: self.caller.user_name.clone(),
                create_time: now,
                builds: Vec::new(),
            },
        );
        self.state.commit(&mut inner, &[Key::Job(id.clone())])?;
        Ok(b::CreateBuildJobResponse::new()
            .set_result(b::CreateBuildJobResponseBodyResult::new().set_job_id(id))
            .set_status("success"))
    }

    async fn list_project_jobs(
        &self,
        request: b::ListProjectJobsRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ListProjectJobsResponse> {
        let (mut jobs, mut total) =
            self.job_list(&request.project_id, request.page_index, request.page_size)?;
        if let Some(search) = request.search.as_deref().filter(|s| !s.is_empty()) {
            jobs.retain(|j| j.job_name.as_deref().is_some_and(|n| n.contains(search)));
            total = i64::try_from(jobs.len()).unwrap_or(0);
        }
        Ok(b::ListProjectJobsResponse::new()
            .set_jobs(jobs)
            .set_total(total))
    }

    async fn show_job_list_by_project_id(
        &self,
        request: b::ShowJobListByProjectIdRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ShowJobListByProjectIdResponse> {
        let (jobs, total) =
            self.job_list(&request.project_id, request.page_index, request.page_size)?;
        Ok(b::ShowJobListByProjectIdResponse::new()
            .set_jobs(jobs)
            .set_total(total))
    }

    async fn show_job_info(
        &self,
        request: b::ShowJobInfoRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ShowJobInfoResponse> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        let job = self.job_in(&mut inner, &request.job_id, Act::View)?.clone();
        let perm = State::permission(&inner, &job.id, self.caller.role_id, now);
        let mut result = b::ShowJobInfoResult::new()
            .set_id(job.id.clone())
            .set_project_id(job.project_id.clone())
            .set_job_name(job.config.job_name.clone())
            .set_create_time(job.create_time)
            .set_disabled(false)
            .set_favorite(false)
            .set_is_copy(perm.copy)
            .set_is_delete(perm.delete)
            .set_is_execute(perm.execute)
            .set_is_forbidden(perm.forbidden)
            .set_is_manager(perm.manager)
            .set_is_modify(perm.modify)
            .set_is_view(perm.view);
        if let Some(last) = job.builds.last() {
            result = result
                .set_last_build_status(last.result)
                .set_last_build_time(last.start_time)
                .set_running_status(last.result);
        }
        Ok(b::ShowJobInfoResponse::new()
            .set_result(result)
            .set_status("success"))
    }

    async fn list_job_config(
        &self,
        request: b::ListJobConfigRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ListJobConfigResponse> {
        let mut inner = self.state.lock();
        let job = self.job_in(&mut inner, &request.job_id, Act::View)?;
        Ok(b::ListJobConfigResponse::new()
            .set_result(job.config.clone())
            .set_status("success"))
    }

    async fn run_job(
        &self,
        request: b::RunJobRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::RunJobResponse> {
        let body = request
            .body
            .ok_or_else(|| bad_body("the body (RunJobRequestBody) is required"))?;
        let now = self.state.now();
        let polls = self.state.polls_until_done;
        let mut inner = self.state.lock();
        let job = self.job_in(&mut inner, &body.job_id, Act::Execute)?;
        let number = i64::try_from(job.builds.len()).unwrap_or(0) + 1;
        let done = polls == 0;
        job.builds.push(Build {
            number,
            result: if done {
                build_result::SUCCESS
            } else {
                build_result::RUNNING
            },
            start_time: now,
            end_time: done.then_some(now),
            polls_left: polls,
        });
        self.state
            .commit(&mut inner, &[Key::Job(body.job_id.clone())])?;
        Ok(b::RunJobResponse::new()
            .set_octopus_job_name(body.job_id)
            .set_actual_build_number(number.to_string())
            .set_daily_build_number(number.to_string()))
    }

    async fn show_job_status(
        &self,
        request: b::ShowJobStatusRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ShowJobStatusResponse> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        let job = self.job_in(&mut inner, &request.job_id, Act::View)?;
        let (polled, running) = match job.builds.last_mut() {
            Some(build) => {
                let was = (build.result, build.polls_left);
                Session::poll_build(build, now);
                (
                    was != (build.result, build.polls_left),
                    build.result == build_result::RUNNING,
                )
            }
            None => (false, false),
        };
        if polled {
            self.state
                .commit(&mut inner, &[Key::Job(request.job_id.clone())])?;
        }
        Ok(b::ShowJobStatusResponse::new().set_result(running))
    }

    async fn stop_build_job(
        &self,
        request: b::StopBuildJobRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::StopBuildJobResponse> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        let job = self.job_in(&mut inner, &request.job_id, Act::Execute)?;
        let build = job
            .builds
            .iter_mut()
            .find(|b| b.number == request.build_no)
            .ok_or_else(|| not_found("build number", &request.build_no.to_string()))?;
        if build.result != build_result::RUNNING {
            return Err(invalid_state(format!(
                "build {} is {}, not RUNNING",
                build.number, build.result
            )));
        }
        build.result = build_result::ABORTED;
        build.end_time = Some(now);
        self.state
            .commit(&mut inner, &[Key::Job(request.job_id.clone())])?;
        Ok(b::StopBuildJobResponse::new()
            .set_success(true)
            .set_result("stopped"))
    }

    async fn show_list_history(
        &self,
        request: b::ShowListHistoryRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ShowListHistoryResponse> {
        let mut inner = self.state.lock();
        let job = self.job_in(&mut inner, &request.job_id, Act::View)?;
        let offset = usize::try_from(request.offset.max(0)).unwrap_or(0);
        let limit = usize::try_from(request.limit.clamp(1, 100)).unwrap_or(10);
        let records = job
            .builds
            .iter()
            .rev()
            .skip(offset)
            .take(limit)
            .map(|b| {
                let mut r = b::HistoryRecord::new()
                    .set_record_id(format!("{}-{}", job.id, b.number))
                    .set_job_id(job.id.clone())
                    .set_build_number(b.number)
                    .set_start_time(b.start_time.to_string())
                    .set_result(b.result);
                if let Some(end) = b.end_time {
                    r = r.set_end_time(end.to_string());
                }
                r
            })
            .collect::<Vec<_>>();
        Ok(b::ShowListHistoryResponse::new()
            .set_history_records(records)
            .set_total(i64::try_from(job.builds.len()).unwrap_or(0)))
    }

    async fn delete_build_job(
        &self,
        request: b::DeleteBuildJobRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::DeleteBuildJobResponse> {
        let mut inner = self.state.lock();
        let project_id = self
            .job_in(&mut inner, &request.job_id, Act::Delete)?
            .project_id
            .clone();
        inner.jobs.remove(&request.job_id);
        let mut keys = vec![Key::Job(request.job_id.clone())];
        inner.permissions.retain(|(job, role), _| {
            let keep = job != &request.job_id;
            if !keep {
                keys.push(Key::Permission(job.clone(), *role));
            }
            keep
        });
        self.state.commit(&mut inner, &keys)?;
        Ok(b::DeleteBuildJobResponse::new()
            .set_result(
                b::DeleteTheJobResponseBodyResult::new()
                    .set_job_id(request.job_id)
                    .set_project_id(project_id),
            )
            .set_status("success"))
    }

    async fn show_project_job_permission(
        &self,
        request: b::ShowProjectJobPermissionRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ShowProjectJobPermissionResponse> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        let job = self.job_in(&mut inner, &request.job_id, Act::View)?;
        if job.project_id != request.project_id {
            return Err(not_found("build job", &request.job_id));
        }
        let perm = State::permission(&inner, &request.job_id, self.caller.role_id, now);
        Ok(b::ShowProjectJobPermissionResponse::new()
            .set_result(
                b::ShowJobPermissionResult::new()
                    .set_role_id(self.caller.role_id)
                    .set_job_id(request.job_id)
                    .set_is_modify(perm.modify)
                    .set_is_delete(perm.delete)
                    .set_is_view(perm.view)
                    .set_is_execute(perm.execute)
                    .set_is_copy(perm.copy)
                    .set_is_forbidden(perm.forbidden)
                    .set_is_manager(perm.manager)
                    .set_last_update_time(perm.update_time.to_string())
                    .set_count(1),
            )
            .set_status("success"))
    }

    async fn show_job_role_permission(
        &self,
        request: b::ShowJobRolePermissionRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::ShowJobRolePermissionResponse> {
        let now = self.state.now();
        let mut inner = self.state.lock();
        self.job_in(&mut inner, &request.job_id, Act::View)?;
        let mut roles: Vec<i64> = vec![3, 4, 5, 6, 7, 8];
        for (job, role) in inner.permissions.keys() {
            if job == &request.job_id && !roles.contains(role) {
                roles.push(*role);
            }
        }
        let result = roles
            .into_iter()
            .map(|role| {
                let perm = State::permission(&inner, &request.job_id, role, now);
                b::ShowJobRolePermissionResult::new()
                    .set_role_id(role)
                    .set_job_id(request.job_id.clone())
                    .set_is_modify(perm.modify)
                    .set_is_delete(perm.delete)
                    .set_is_view(perm.view)
                    .set_is_execute(perm.execute)
                    .set_is_copy(perm.copy)
                    .set_is_forbidden(perm.forbidden)
                    .set_is_manager(perm.manager)
                    .set_last_update_time(perm.update_time.to_string())
            })
            .collect::<Vec<_>>();
        Ok(b::ShowJobRolePermissionResponse::new()
            .set_result(result)
            .set_status("success"))
    }

    async fn batch_update_job_role_permission(
        &self,
        request: b::BatchUpdateJobRolePermissionRequest,
        _options: codearts_transport::RequestOptions,
    ) -> codearts_build::Result<b::BatchUpdateJobRolePermissionResponse> {
        let body = request
            .body
            .ok_or_else(|| bad_body("the body (RolePermissionsRequestBody) is required"))?;
        let job_ids = body.job_ids.unwrap_or_default();
        let permissions = body.permissions.unwrap_or_default();
        if job_ids.is_empty() {
            return Err(bad_body("`job_ids` is empty"));
        }
        let now = self.state.now();
        let mut inner = self.state.lock();
        for id in &job_ids {
            self.job_in(&mut inner, id, Act::Manage)?;
        }
        for perm in &permissions {
            if perm.role_id.is_none() {
                return Err(bad_body("every entry of `permissions` needs a `role_id`"));
            }
        }
        let mut keys = Vec::new();
        for id in &job_ids {
            for update in &permissions {
                let role = update.role_id.unwrap_or_default();
                let mut current = State::permission(&inner, id, role, now);
                let set = |field: &mut bool, v: Option<bool>| {
                    if let Some(v) = v {
                        *field = v;
                    }
                };
                set(&mut current.modify, update.is_modify);
                set(&mut current.delete, update.is_delete);
                set(&mut current.view, update.is_view);
                set(&mut current.execute, update.is_execute);
                set(&mut current.copy, update.is_copy);
                set(&mut current.forbidden, update.is_forbidden);
                set(&mut current.manager, update.is_manager);
                current.update_time = now;
                inner.permissions.insert((id.clone(), role), current);
                keys.push(Key::Permission(id.clone(), role));
            }
        }
        self.state.commit(&mut inner, &keys)?;
        Ok(b::BatchUpdateJobRolePermissionResponse::new()
            .set_status("success")
            .set_result("true"))
    }
}
