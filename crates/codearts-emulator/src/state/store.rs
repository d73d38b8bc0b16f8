//! The state directory: the emulator's objects in one SQLite database, so that a restart
//! finds them again.
//!
//! Memory stays the state the operations read; the database is its durable copy. Every
//! operation that changes an object writes the objects it touched, and the id counter, in one
//! transaction before it answers: an answer is only sent after its change is on disk.
//!
//! Each object is one JSON document in a table of its kind. The journal is WAL with
//! `synchronous=FULL`: WAL with `NORMAL` already survives a killed process, but may lose the
//! last commits when the machine itself stops; an emulator commits little, so the emulator
//! pays one sync per change and its acknowledgements hold across power loss too.
//!
//! The database is opened in exclusive locking mode and written at once: a second emulator
//! on the same directory is refused at start instead of keeping a diverging copy in memory.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Inner, Job, Permission, Pipeline, Run};
use crate::fixture::Account;

/// The database file inside the state directory.
pub const DB_FILE: &str = "emulator.sqlite3";

/// The layout written by this version; another one is refused rather than misread.
const FORMAT: &str = "1";

/// Why the state directory could not be opened, read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// One object that a change touched: written if it is still in memory, deleted if not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Key {
    Pipeline(String),
    Run(String),
    Job(String),
    Permission(String, i64),
}

/// The open database.
pub(super) struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn sql_error(path: &Path, what: &str, e: rusqlite::Error) -> StoreError {
    let busy = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        StoreError(format!(
            "the state directory {} is in use by another emulator",
            path.display()
        ))
    } else {
        StoreError(format!("{}: cannot {what}: {e}", path.display()))
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError(format!("cannot encode an object: {e}")))
}

fn from_json<T: DeserializeOwned>(table: &str, id: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError(format!("the {table} row `{id}` is not readable: {e}")))
}

impl Store {
    /// Opens (creating when absent) the database of the state directory `dir`.
    pub(super) fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError(format!(
                "cannot create the state directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|e| sql_error(&path, "open it", e))?;
        let err = |what: &'static str| {
            let path = path.clone();
            move |e| sql_error(&path, what, e)
        };
        // Long enough for an emulator of this process that is stopping to let go, short
        // enough that a start on a directory in use fails promptly.
        conn.busy_timeout(std::time::Duration::from_secs(1))
            .map_err(err("set its busy timeout"))?;
        conn.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;",
        )
        .map_err(err("set its journal mode"))?;
        // The first write takes the exclusive lock, held until the process ends.
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS pipelines (id TEXT PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS permissions (
                 job_id TEXT NOT NULL, role_id INTEGER NOT NULL, body TEXT NOT NULL,
                 PRIMARY KEY (job_id, role_id));
             INSERT OR IGNORE INTO meta (key, value) VALUES ('format', '1');
             COMMIT;",
        )
        .map_err(err("create its tables"))?;
        let store = Store { conn, path };
        let format = store.meta("format")?.unwrap_or_default();
        if format != FORMAT {
            return Err(StoreError(format!(
                "{} has layout {format}; this emulator reads layout {FORMAT}",
                store.path.display()
            )));
        }
        Ok(store)
    }

    fn err(&self, what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| sql_error(&self.path, what, e)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.err("read its metadata"))
    }

    /// True once the fixture's seed objects were written: they are created once, with the
    /// directory, never again at a later start.
    pub(super) fn seeded(&self) -> Result<bool, StoreError> {
        Ok(self.meta("seeded")?.is_some())
    }

    /// The accounts kept, in the order of their ids.
    pub(super) fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.rows("accounts")?
            .iter()
            .map(|(id, body)| from_json("accounts", id, body))
            .collect()
    }

    fn rows(&self, table: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id, body FROM {table} ORDER BY id"))
            .map_err(self.err("read its objects"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err("read its objects"))?
            .collect::<Result<Vec<(String, String)>, _>>()
            .map_err(self.err("read its objects"));
        rows
    }

    /// Replaces the accounts kept by `accounts`, and with them, when the directory is new,
    /// the seed objects and the id counter of `inner`: one transaction.
    pub(super) fn init(&mut self, accounts: &[Account], inner: &Inner) -> Result<(), StoreError> {
        let seeding = !self.seeded()?;
        let path = self.path.clone();
        let err = |what: &'static str| {
            let path = path.clone();
            move |e| sql_error(&path, what, e)
        };
        let tx = self.conn.transaction().map_err(err("begin a change"))?;
        tx.execute("DELETE FROM accounts", [])
            .map_err(err("write the accounts"))?;
        for account in accounts {
            tx.execute(
                "INSERT INTO accounts (id, body) VALUES (?1, ?2)",
                params![account.domain_id, to_json(account)?],
            )
            .map_err(err("write the accounts"))?;
        }
        if seeding {
            let mut keys: Vec<Key> = Vec::new();
            keys.extend(inner.pipelines.keys().cloned().map(Key::Pipeline));
            keys.extend(inner.runs.keys().cloned().map(Key::Run));
            keys.extend(inner.jobs.keys().cloned().map(Key::Job));
            keys.extend(
                inner
                    .permissions
                    .keys()
                    .map(|(j, r)| Key::Permission(j.clone(), *r)),
            );
            write_keys(&tx, &path, inner, &keys)?;
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('seeded', '1')",
                [],
            )
            .map_err(err("write its metadata"))?;
        }
        tx.commit().map_err(err("commit"))
    }

    /// Writes the objects `keys` name as `inner` has them, and the id counter, in one
    /// transaction; returns once it is committed.
    pub(super) fn commit(&mut self, inner: &Inner, keys: &[Key]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| sql_error(&path, "begin a change", e))?;
        write_keys(&tx, &path, inner, keys)?;
        tx.commit().map_err(|e| sql_error(&path, "commit", e))
    }

    /// Everything kept, as the state's memory.
    pub(super) fn load(&self) -> Result<Inner, StoreError> {
        let mut inner = Inner {
            next_id: self
                .meta("next_id")?
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| StoreError(format!("the id counter `{v}` is not a number")))
                })
                .transpose()?
                .unwrap_or(0),
            ..Inner::default()
        };
        for (id, body) in self.rows("pipelines")? {
            let pipeline: Pipeline = from_json("pipelines", &id, &body)?;
            inner.pipelines.insert(id, pipeline);
        }
        for (id, body) in self.rows("runs")? {
            let run: Run = from_json("runs", &id, &body)?;
            inner.runs.insert(id, run);
        }
        for (id, body) in self.rows("jobs")? {
            let job: Job = from_json("jobs", &id, &body)?;
            inner.jobs.insert(id, job);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT job_id, role_id, body FROM permissions")
            .map_err(self.err("read the permissions"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(self.err("read the permissions"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err("read the permissions"))?;
        for (job, role, body) in rows {
            let perm: Permission = from_json("permissions", &format!("{job}/{role}"), &body)?;
            inner.permissions.insert((job, role), perm);
        }
        Ok(inner)
    }
}

fn write_keys(
    tx: &rusqlite::Transaction<'_>,
    path: &Path,
    inner: &Inner,
    keys: &[Key],
) -> Result<(), StoreError> {
    let err = |e| sql_error(path, "write a change", e);
    let put = |table: &str, id: &str, body: Option<String>| -> Result<(), StoreError> {
        match body {
            Some(body) => tx
                .execute(
                    &format!("INSERT OR REPLACE INTO {table} (id, body) VALUES (?1, ?2)"),
                    params![id, body],
                )
                .map_err(err)?,
            None => tx
                .execute(&format!("DELETE FROM {table} WHERE id = ?1"), params![id])
                .map_err(err)?,
        };
        Ok(())
    };
    for key in keys {
        match key {
            Key::Pipeline(id) => put(
                "pipelines",
                id,
                inner.pipelines.get(id).map(to_json).transpose()?,
            )?,
            Key::Run(id) => put("runs", id, inner.runs.get(id).map(to_json).transpose()?)?,
            Key::Job(id) => put("jobs", id, inner.jobs.get(id).map(to_json).transpose()?)?,
            Key::Permission(job, role) => {
                match inner.permissions.get(&(job.clone(), *role)) {
                    Some(perm) => tx.execute(
                        "INSERT OR REPLACE INTO permissions (job_id, role_id, body) VALUES (?1, ?2, ?3)",
                        params![job, role, to_json(perm)?],
                    ),
                    None => tx.execute(
                        "DELETE FROM permissions WHERE job_id = ?1 AND role_id = ?2",
                        params![job, role],
                    ),
                }
                .map_err(err)?;
            }
        }
    }
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_id', ?1)",
        [inner.next_id.to_string()],
    )
    .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use codearts_auth::SystemClock;
    use codearts_build::stub::Build as _;
    use codearts_model::build as b;
    use codearts_model::pipeline as p;
    use codearts_pipeline::stub::Pipeline as _;
    use codearts_transport::RequestOptions;

    use super::super::{Caller, State};
    use crate::fixture::{self, Fixture, SeedBuildJob, SeedPipeline};

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "codearts-emulator-store-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn demo_caller() -> Caller {
        Caller {
            user_id: fixture::DEMO_USER_ID.to_owned(),
            user_name: fixture::DEMO_USER.to_owned(),
            domain_id: fixture::DEMO_DOMAIN_ID.to_owned(),
            role_id: fixture::DEMO_ROLE_ID,
        }
    }

    fn seeded_fixture() -> Fixture {
        Fixture {
            pipelines: vec![SeedPipeline {
                id: None,
                project_id: fixture::DEMO_PROJECT_ID.to_owned(),
                name: "seeded".to_owned(),
                definition: "{}".to_owned(),
                manual_review: true,
            }],
            build_jobs: vec![SeedBuildJob {
                id: None,
                project_id: fixture::DEMO_PROJECT_ID.to_owned(),
                job_name: "seeded-job".to_owned(),
            }],
            polls_until_done: Some(2),
            ..Fixture::demo()
        }
    }

    /// Every kind of change, each followed by a reopening of the directory: what the reopened
    /// state holds is exactly what memory held. An operation that changes memory without
    /// committing makes this fail.
    #[tokio::test]
    async fn every_change_survives_a_reopening() {
        let dir = temp_dir("every-change");
        let clock = Arc::new(SystemClock);
        let fx = seeded_fixture();
        let project = fixture::DEMO_PROJECT_ID;
        let opt = RequestOptions::default;
        let (state, _) = State::open(&fx, clock.clone(), &dir).unwrap();
        let state = Arc::new(state);
        let s = state.session(demo_caller());

        let reopened_equal = |state: &Arc<State>, step: &str| {
            let memory = std::mem::take(&mut *state.lock());
            let store = state.store.as_ref().unwrap().lock().unwrap();
            let kept = store.load().unwrap();
            drop(store);
            assert_eq!(
                kept, memory,
                "after {step}, the directory differs from memory"
            );
            *state.lock() = memory;
        };
        reopened_equal(&state, "seeding");

        let seeded = state
            .lock()
            .pipelines
            .values()
            .find(|pl| pl.name == "seeded")
            .unwrap()
            .id
            .clone();
        let created = s
            .create_pipeline_new(
                p::CreatePipelineNewRequest::new(project)
                    .set_body(p::PipelineDTO::new("plain", false, "{}")),
                opt(),
            )
            .await
            .unwrap()
            .pipeline_id
            .unwrap();
        reopened_equal(&state, "create_pipeline_new");
        let run = s
            .run_pipeline(p::RunPipelineRequest::new(project, &created), opt())
            .await
            .unwrap()
            .pipeline_run_id
            .unwrap();
        reopened_equal(&state, "run_pipeline");
        s.show_pipeline_run_detail(
            p::ShowPipelineRunDetailRequest::new(project, &created).set_pipeline_run_id(&run),
            opt(),
        )
        .await
        .unwrap();
        reopened_equal(&state, "show_pipeline_run_detail (a poll)");
        s.stop_pipeline_run(
            p::StopPipelineRunRequest::new(project, &created, &run),
            opt(),
        )
        .await
        .unwrap();
        reopened_equal(&state, "stop_pipeline_run");
        let review_run = s
            .run_pipeline(p::RunPipelineRequest::new(project, &seeded), opt())
            .await
            .unwrap()
            .pipeline_run_id
            .unwrap();
        let review = state.lock().runs[&review_run].review.clone().unwrap();
        s.reject_manual_review(
            p::RejectManualReviewRequest::new(
                project,
                &seeded,
                &review_run,
                &review.job_run_id,
                &review.step_run_id,
            )
            .set_approval_description("not today"),
            opt(),
        )
        .await
        .unwrap();
        reopened_equal(&state, "reject_manual_review");
        s.delete_pipeline(p::DeletePipelineRequest::new(project, &created), opt())
            .await
            .unwrap();
        reopened_equal(&state, "delete_pipeline");

        let job = s
            .create_build_job(
                b::CreateBuildJobRequest::new().set_body(b::CreateBuildJobRequestBody::new(
                    "x86",
                    project,
                    "job",
                    Vec::<b::CreateBuildJobSteps>::new(),
                )),
                opt(),
            )
            .await
            .unwrap()
            .result
            .unwrap()
            .job_id
            .unwrap();
        reopened_equal(&state, "create_build_job");
        s.run_job(
            b::RunJobRequest::new().set_body(b::RunJobRequestBody::new(&job)),
            opt(),
        )
        .await
        .unwrap();
        reopened_equal(&state, "run_job");
        s.show_job_status(b::ShowJobStatusRequest::new(&job), opt())
            .await
            .unwrap();
        reopened_equal(&state, "show_job_status (a poll)");
        s.stop_build_job(b::StopBuildJobRequest::new(&job, 1), opt())
            .await
            .unwrap();
        reopened_equal(&state, "stop_build_job");
        let mut perm = b::JobRolePermission::default();
        perm.role_id = Some(7);
        perm.is_execute = Some(true);
        let mut body = b::RolePermissionsRequestBody::default();
        body.job_ids = Some(vec![job.clone()]);
        body.permissions = Some(vec![perm]);
        s.batch_update_job_role_permission(
            b::BatchUpdateJobRolePermissionRequest::new().set_body(body),
            opt(),
        )
        .await
        .unwrap();
        reopened_equal(&state, "batch_update_job_role_permission");
        assert_eq!(state.lock().permissions.len(), 1);
        s.delete_build_job(b::DeleteBuildJobRequest::new(&job), opt())
            .await
            .unwrap();
        reopened_equal(&state, "delete_build_job");
        assert!(state.lock().permissions.is_empty());

        // A real restart: the directory's objects come back and the seeds are not made
        // again; new ids do not collide with kept ones.
        let before = std::mem::take(&mut *state.lock());
        drop(s);
        drop(state);
        let (state, _) = State::open(&fx, clock, &dir).unwrap();
        let state = Arc::new(state);
        assert_eq!(*state.lock(), before);
        let s = state.session(demo_caller());
        let again = s
            .create_pipeline_new(
                p::CreatePipelineNewRequest::new(project).set_body(p::PipelineDTO::new(
                    "after restart",
                    false,
                    "{}",
                )),
                opt(),
            )
            .await
            .unwrap()
            .pipeline_id
            .unwrap();
        assert!(!before.pipelines.contains_key(&again));
        assert!(!before.runs.contains_key(&again));
        assert_eq!(state.lock().pipelines.len(), before.pipelines.len() + 1);
        drop(s);
        drop(state);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_second_emulator_on_the_same_directory_is_refused() {
        let dir = temp_dir("exclusive");
        let clock = Arc::new(SystemClock);
        let first = State::open(&Fixture::demo(), clock.clone(), &dir).unwrap();
        let second = State::open(&Fixture::demo(), clock.clone(), &dir).unwrap_err();
        assert!(second.0.contains("in use by another emulator"), "{second}");
        drop(first);
        State::open(&Fixture::demo(), clock, &dir).expect("free again once the first is gone");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn accounts_are_kept_and_merged_with_the_fixture() {
        let dir = temp_dir("accounts");
        let clock = Arc::new(SystemClock);
        let mut other = Fixture::demo();
        other.accounts[0].domain_id = "e".repeat(32);
        other.accounts[0].domain_name = "other".to_owned();
        other.accounts[0].projects[0].id = "f".repeat(32);
        drop(State::open(&other, clock.clone(), &dir).unwrap());
        let (state, effective) = State::open(&Fixture::demo(), clock, &dir).unwrap();
        let names: Vec<_> = effective
            .accounts
            .iter()
            .map(|a| a.domain_name.as_str())
            .collect();
        assert_eq!(names, ["demo", "other"]);
        assert!(state.project_belongs_to(&"f".repeat(32), &"e".repeat(32)));
        assert!(state.project_belongs_to(fixture::DEMO_PROJECT_ID, fixture::DEMO_DOMAIN_ID));
        drop(state);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unreadable_row_is_a_typed_error_not_a_panic() {
        let dir = temp_dir("unreadable");
        let clock = Arc::new(SystemClock);
        drop(State::open(&Fixture::demo(), clock.clone(), &dir).unwrap());
        {
            let conn = rusqlite::Connection::open(dir.join(super::DB_FILE)).unwrap();
            conn.execute(
                "INSERT INTO runs (id, body) VALUES ('r1', '{\"status\": \"EXPLODED\"}')",
                [],
            )
            .unwrap();
        }
        let e = State::open(&Fixture::demo(), clock, &dir).unwrap_err();
        assert!(e.0.contains("the runs row `r1` is not readable"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
