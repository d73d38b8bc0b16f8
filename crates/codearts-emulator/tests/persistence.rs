//! The state directory against a real crash: the emulator binary is killed with SIGKILL while
//! clients create pipelines, runs and build jobs, restarted on the same directory, and every
//! create it acknowledged must be there.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_build::model as bm;
use codearts_build::BuildClient;
use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;
use codearts_transport::retry::RetryConfig;

/// Starts the emulator binary on a free port with `dir` as its state directory; returns the
/// child and its URL (the first line it prints).
fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codearts-emulator"))
        .args(["--listen", "127.0.0.1:0", "--state-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the emulator binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("http://"), "first line: {line:?}");
    (child, line.trim().to_owned())
}

fn credentials() -> Credentials {
    Credentials::AkSk(AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap())
}

/// No retries: an id is recorded only from an answer that arrived, never guessed.
fn pipelines(url: &str) -> PipelineClient {
    PipelineClient::builder()
        .endpoint(url)
        .credentials(credentials())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

fn builds(url: &str) -> BuildClient {
    BuildClient::builder()
        .endpoint(url)
        .credentials(credentials())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

#[derive(Debug, Default)]
struct Acked {
    pipelines: Vec<String>,
    runs: Vec<(String, String)>,
    jobs: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_create_survives_kill_9() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("persistence-kill9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut child, url) = start(&dir);
    let acked = Arc::new(Mutex::new(Acked::default()));

    // Eight clients create as fast as the emulator answers.
    let mut workers = Vec::new();
    for w in 0..8 {
        let (pc, bc, acked) = (pipelines(&url), builds(&url), Arc::clone(&acked));
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let name = format!("w{w}-{i}");
                let Ok(created) = pc
                    .create_pipeline_new(
                        pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                            .set_body(pm::PipelineDTO::new(&name, false, "{}")),
                    )
                    .await
                else {
                    return;
                };
                let id = created.pipeline_id.unwrap();
                acked.lock().unwrap().pipelines.push(id.clone());
                if i % 2 == 0 {
                    let Ok(run) = pc
                        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &id))
                        .await
                    else {
                        return;
                    };
                    acked
                        .lock()
                        .unwrap()
                        .runs
                        .push((id, run.pipeline_run_id.unwrap()));
                }
                if i % 3 == 0 {
                    let Ok(job) = bc
                        .create_build_job(bm::CreateBuildJobRequest::new().set_body(
                            bm::CreateBuildJobRequestBody::new(
                                "x86",
                                DEMO_PROJECT_ID,
                                name,
                                Vec::<bm::CreateBuildJobSteps>::new(),
                            ),
                        ))
                        .await
                    else {
                        return;
                    };
                    acked
                        .lock()
                        .unwrap()
                        .jobs
                        .push(job.result.unwrap().job_id.unwrap());
                }
            }
        }));
    }
    // Kill mid-load: once a good number of creates were acknowledged, with requests in flight.
    for _ in 0..200 {
        if acked.lock().unwrap().pipelines.len() >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.pipelines.len() >= 60,
        "only {} creates were acknowledged before the kill",
        acked.pipelines.len()
    );

    let (mut child, url) = start(&dir);
    let (pc, bc) = (pipelines(&url), builds(&url));
    // Every pipeline kept, page by page.
    let mut kept = Vec::new();
    loop {
        let page = pc
            .list_pipelines(
                pm::ListPipelinesRequest::new(DEMO_PROJECT_ID).set_body(
                    pm::ListPipelineQuery::default()
                        .set_offset(i64::try_from(kept.len()).unwrap())
                        .set_limit(100),
                ),
            )
            .await
            .unwrap();
        let total = page.total.unwrap();
        let items = page.pipelines.unwrap_or_default();
        let empty = items.is_empty();
        kept.extend(items);
        if empty || i64::try_from(kept.len()).unwrap() >= total {
            assert_eq!(i64::try_from(kept.len()).unwrap(), total);
            break;
        }
    }
    let kept_ids: std::collections::BTreeSet<String> = kept
        .iter()
        .map(|p| p.pipeline_id.clone().unwrap())
        .collect();
    assert_eq!(kept_ids.len(), kept.len(), "a pipeline is listed twice");
    for id in &acked.pipelines {
        assert!(kept_ids.contains(id), "acknowledged pipeline {id} was lost");
    }
    // At most the requests in flight at the kill were applied without an answer.
    assert!(kept.len() <= acked.pipelines.len() + 8);
    for (pipeline, run) in &acked.runs {
        let detail = pc
            .show_pipeline_run_detail(
                pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, pipeline)
                    .set_pipeline_run_id(run),
            )
            .await
            .unwrap_or_else(|e| panic!("acknowledged run {run} was lost: {e}"));
        assert_eq!(detail.status.as_deref(), Some("COMPLETED"));
    }
    // Consistent: every kept pipeline reads back whole, with its latest run if it has one.
    for item in &kept {
        let id = item.pipeline_id.as_deref().unwrap();
        pc.show_pipeline_detail(pm::ShowPipelineDetailRequest::new(DEMO_PROJECT_ID, id))
            .await
            .unwrap();
        if let Some(latest) = &item.latest_run {
            pc.show_pipeline_run_detail(
                pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, id)
                    .set_pipeline_run_id(latest.pipeline_run_id.clone().unwrap()),
            )
            .await
            .unwrap();
        }
    }
    for job in &acked.jobs {
        bc.show_job_info(bm::ShowJobInfoRequest::new(job))
            .await
            .unwrap_or_else(|e| panic!("acknowledged build job {job} was lost: {e}"));
    }
    // New ids after the restart do not collide with kept ones.
    let fresh = pc
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID).set_body(pm::PipelineDTO::new(
                "after restart",
                false,
                "{}",
            )),
        )
        .await
        .unwrap()
        .pipeline_id
        .unwrap();
    assert!(!kept_ids.contains(&fresh));
    println!(
        "acknowledged before kill -9: {} pipelines, {} runs, {} build jobs; kept: {} pipelines",
        acked.pipelines.len(),
        acked.runs.len(),
        acked.jobs.len(),
        kept.len()
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without `--state-dir` nothing is written and a restart starts empty: the default stays in
/// memory.
#[tokio::test]
async fn without_a_state_dir_a_restart_starts_empty() {
    let emu = codearts_emulator::Emulator::builder()
        .start()
        .await
        .unwrap();
    let pc = pipelines(&emu.url());
    pc.create_pipeline_new(
        pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
            .set_body(pm::PipelineDTO::new("gone", false, "{}")),
    )
    .await
    .unwrap();
    emu.shutdown().await;
    let emu = codearts_emulator::Emulator::builder()
        .start()
        .await
        .unwrap();
    let listed = pipelines(&emu.url())
        .list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID))
        .await
        .unwrap();
    assert_eq!(listed.total, Some(0));
}
