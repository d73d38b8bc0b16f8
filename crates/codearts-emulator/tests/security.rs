//! The emulator's security properties (issue 9, items 9-14): accounts are isolated, roles are
//! enforced, tokens cannot be guessed, routes cannot be re-split, memory and connections are
//! bounded before authentication, and the request log is a bounded ring.

mod common;

use codearts_build::model as bm;
use codearts_build::BuildClient;
use codearts_emulator::fixture::{AccessKey, Account, Project, User};
use codearts_emulator::{Emulator, EmulatorHandle, Fixture};
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;

const PROJECT_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001";
const PROJECT_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0001";
const DEFINITION: &str = "a stage with a manual review";

fn user(name: &str, role: i64, ak: &str) -> User {
    User {
        id: format!("{name}-id"),
        name: name.to_owned(),
        password: format!("{name}-password"),
        access_keys: vec![AccessKey {
            access_key: ak.to_owned(),
            secret_key: format!("{ak}-secret"),
        }],
        role_id: Some(role),
    }
}

/// Account A: a manager, a viewer and a developer; account B: a viewer and a manager.
fn two_accounts() -> Fixture {
    Fixture {
        accounts: vec![
            Account {
                domain_id: "d0000000000000000000000000000a0a".to_owned(),
                domain_name: "account-a".to_owned(),
                users: vec![
                    user("alice", 3, "AK-A-MANAGER"),
                    user("carol", 8, "AK-A-VIEWER"),
                    user("dave", 5, "AK-A-DEVELOPER"),
                ],
                projects: vec![Project {
                    id: PROJECT_A.to_owned(),
                    name: "project-a".to_owned(),
                }],
            },
            Account {
                domain_id: "d0000000000000000000000000000b0b".to_owned(),
                domain_name: "account-b".to_owned(),
                users: vec![
                    user("bob", 8, "AK-B-VIEWER"),
                    user("bea", 3, "AK-B-MANAGER"),
                ],
                projects: vec![Project {
                    id: PROJECT_B.to_owned(),
                    name: "project-b".to_owned(),
                }],
            },
        ],
        ..Fixture::default()
    }
}

fn pipeline_client(emu: &EmulatorHandle, ak: &str) -> PipelineClient {
    common::aksk_with(emu, ak, &format!("{ak}-secret"))
}

fn build_client(emu: &EmulatorHandle, ak: &str) -> BuildClient {
    common::aksk_with(emu, ak, &format!("{ak}-secret"))
}

/// A's pipeline with a run waiting at its manual review: (pipeline, run, job run, step run).
async fn pipeline_waiting_for_review(a: &PipelineClient) -> (String, String, String, String) {
    let pipeline_id = a
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(PROJECT_A)
                .set_body(pm::PipelineDTO::new("release", false, DEFINITION)),
        )
        .await
        .unwrap()
        .pipeline_id
        .unwrap();
    let run_id = a
        .run_pipeline(pm::RunPipelineRequest::new(PROJECT_A, &pipeline_id))
        .await
        .unwrap()
        .pipeline_run_id
        .unwrap();
    let (job_run_id, step_run_id) = review_ids(a, &pipeline_id, &run_id).await;
    (pipeline_id, run_id, job_run_id, step_run_id)
}

async fn review_ids(a: &PipelineClient, pipeline_id: &str, run_id: &str) -> (String, String) {
    let detail = run_detail(a, pipeline_id, run_id).await;
    let job = &detail.stages.as_ref().unwrap()[0].jobs.as_ref().unwrap()[0];
    (
        job.id.clone().unwrap(),
        job.steps.as_ref().unwrap()[0].id.clone().unwrap(),
    )
}

async fn run_detail(
    c: &PipelineClient,
    pipeline_id: &str,
    run_id: &str,
) -> pm::ShowPipelineRunDetailResponse {
    c.show_pipeline_run_detail(
        pm::ShowPipelineRunDetailRequest::new(PROJECT_A, pipeline_id).set_pipeline_run_id(run_id),
    )
    .await
    .unwrap()
}

/// A refusal as the cloud answers for something absent (404) or forbidden (403).
fn assert_refused<T: std::fmt::Debug>(what: &str, r: Result<T, codearts_transport::Error>) {
    let err = match r {
        Ok(v) => panic!("{what}: accepted: {v:?}"),
        Err(e) => e,
    };
    let status = err.http_status_code();
    assert!(
        matches!(status, Some(403 | 404)),
        "{what}: expected 403 or 404, got {status:?}: {err}"
    );
    if status == Some(404) {
        assert_eq!(err.error_code(), Some("EMU.40401"), "{what}: {err}");
    }
}

fn assert_forbidden<T: std::fmt::Debug>(what: &str, r: Result<T, codearts_transport::Error>) {
    let err = r.expect_err(what);
    assert_eq!(err.http_status_code(), Some(403), "{what}: {err}");
}

#[tokio::test]
async fn another_accounts_viewer_cannot_read_refuse_or_delete_a_pipeline() {
    let emu = Emulator::builder()
        .fixture(two_accounts())
        .start()
        .await
        .unwrap();
    let alice = pipeline_client(&emu, "AK-A-MANAGER");
    let (pipeline_id, run_id, job_run_id, step_run_id) = pipeline_waiting_for_review(&alice).await;

    for (who, ak) in [
        ("B's viewer", "AK-B-VIEWER"),
        ("B's manager", "AK-B-MANAGER"),
    ] {
        let bob = pipeline_client(&emu, ak);
        // With A's project id in the path, and with B's own project id and A's pipeline id.
        for project in [PROJECT_A, PROJECT_B] {
            assert_refused(
                &format!("{who} reads in {project}"),
                bob.show_pipeline_detail(pm::ShowPipelineDetailRequest::new(project, &pipeline_id))
                    .await,
            );
            assert_refused(
                &format!("{who} reads the run in {project}"),
                bob.show_pipeline_run_detail(
                    pm::ShowPipelineRunDetailRequest::new(project, &pipeline_id)
                        .set_pipeline_run_id(&run_id),
                )
                .await,
            );
            assert_refused(
                &format!("{who} refuses in {project}"),
                bob.reject_manual_review(pm::RejectManualReviewRequest::new(
                    project,
                    &pipeline_id,
                    &run_id,
                    &job_run_id,
                    &step_run_id,
                ))
                .await,
            );
            assert_refused(
                &format!("{who} passes in {project}"),
                bob.accept_manual_review(pm::AcceptManualReviewRequest::new(
                    project,
                    &pipeline_id,
                    &run_id,
                    &job_run_id,
                    &step_run_id,
                ))
                .await,
            );
            assert_refused(
                &format!("{who} stops in {project}"),
                bob.stop_pipeline_run(pm::StopPipelineRunRequest::new(
                    project,
                    &pipeline_id,
                    &run_id,
                ))
                .await,
            );
            assert_refused(
                &format!("{who} runs in {project}"),
                bob.run_pipeline(pm::RunPipelineRequest::new(project, &pipeline_id))
                    .await,
            );
            assert_refused(
                &format!("{who} deletes in {project}"),
                bob.delete_pipeline(pm::DeletePipelineRequest::new(project, &pipeline_id))
                    .await,
            );
        }
        assert_refused(
            &format!("{who} lists A's project"),
            bob.list_pipelines(pm::ListPipelinesRequest::new(PROJECT_A))
                .await,
        );
        assert_refused(
            &format!("{who} creates in A's project"),
            bob.create_pipeline_new(
                pm::CreatePipelineNewRequest::new(PROJECT_A)
                    .set_body(pm::PipelineDTO::new("intruder", false, "{}")),
            )
            .await,
        );
        let own = bob
            .list_pipelines(pm::ListPipelinesRequest::new(PROJECT_B))
            .await
            .unwrap();
        assert_eq!(own.total, Some(0), "{who} sees nothing of A's in B");
    }

    // A's pipeline is intact: still there, its run still waiting, only A's runs.
    let detail = alice
        .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(PROJECT_A, &pipeline_id))
        .await
        .unwrap();
    assert_eq!(detail.name.as_deref(), Some("release"));
    let run = run_detail(&alice, &pipeline_id, &run_id).await;
    assert_eq!(run.status.as_deref(), Some("RUNNING"));
    let step = &run.stages.as_ref().unwrap()[0].jobs.as_ref().unwrap()[0]
        .steps
        .as_ref()
        .unwrap()[0];
    assert_eq!(step.status.as_deref(), Some("PENDING"));
    assert_eq!(run.run_number, Some(1));
    let listed = alice
        .list_pipelines(pm::ListPipelinesRequest::new(PROJECT_A))
        .await
        .unwrap();
    assert_eq!(listed.total, Some(1));
}

#[tokio::test]
async fn roles_are_enforced_on_pipelines() {
    let emu = Emulator::builder()
        .fixture(two_accounts())
        .start()
        .await
        .unwrap();
    let alice = pipeline_client(&emu, "AK-A-MANAGER");
    let carol = pipeline_client(&emu, "AK-A-VIEWER");
    let dave = pipeline_client(&emu, "AK-A-DEVELOPER");
    let (pipeline_id, run_id, job_run_id, step_run_id) = pipeline_waiting_for_review(&alice).await;

    // The viewer reads...
    carol
        .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(PROJECT_A, &pipeline_id))
        .await
        .unwrap();
    run_detail(&carol, &pipeline_id, &run_id).await;
    let listed = carol
        .list_pipelines(pm::ListPipelinesRequest::new(PROJECT_A))
        .await
        .unwrap();
    assert_eq!(listed.total, Some(1));
    // ...and may do nothing else.
    assert_forbidden(
        "viewer creates",
        carol
            .create_pipeline_new(
                pm::CreatePipelineNewRequest::new(PROJECT_A)
                    .set_body(pm::PipelineDTO::new("x", false, "{}")),
            )
            .await,
    );
    assert_forbidden(
        "viewer runs",
        carol
            .run_pipeline(pm::RunPipelineRequest::new(PROJECT_A, &pipeline_id))
            .await,
    );
    assert_forbidden(
        "viewer refuses",
        carol
            .reject_manual_review(pm::RejectManualReviewRequest::new(
                PROJECT_A,
                &pipeline_id,
                &run_id,
                &job_run_id,
                &step_run_id,
            ))
            .await,
    );
    assert_forbidden(
        "viewer passes",
        carol
            .accept_manual_review(pm::AcceptManualReviewRequest::new(
                PROJECT_A,
                &pipeline_id,
                &run_id,
                &job_run_id,
                &step_run_id,
            ))
            .await,
    );
    assert_forbidden(
        "viewer stops",
        carol
            .stop_pipeline_run(pm::StopPipelineRunRequest::new(
                PROJECT_A,
                &pipeline_id,
                &run_id,
            ))
            .await,
    );
    assert_forbidden(
        "viewer deletes",
        carol
            .delete_pipeline(pm::DeletePipelineRequest::new(PROJECT_A, &pipeline_id))
            .await,
    );
    let run = run_detail(&alice, &pipeline_id, &run_id).await;
    assert_eq!(run.status.as_deref(), Some("RUNNING"), "nothing changed");

    // A developer executes and decides reviews, but may not delete.
    let second = dave
        .run_pipeline(pm::RunPipelineRequest::new(PROJECT_A, &pipeline_id))
        .await
        .unwrap()
        .pipeline_run_id
        .unwrap();
    let (job2, step2) = review_ids(&dave, &pipeline_id, &second).await;
    dave.reject_manual_review(pm::RejectManualReviewRequest::new(
        PROJECT_A,
        &pipeline_id,
        &second,
        &job2,
        &step2,
    ))
    .await
    .unwrap();
    dave.stop_pipeline_run(pm::StopPipelineRunRequest::new(
        PROJECT_A,
        &pipeline_id,
        &run_id,
    ))
    .await
    .unwrap();
    assert_forbidden(
        "developer deletes",
        dave.delete_pipeline(pm::DeletePipelineRequest::new(PROJECT_A, &pipeline_id))
            .await,
    );
    // The manager deletes.
    alice
        .delete_pipeline(pm::DeletePipelineRequest::new(PROJECT_A, &pipeline_id))
        .await
        .unwrap();
}

#[tokio::test]
async fn another_accounts_users_cannot_touch_build_jobs() {
    let emu = Emulator::builder()
        .fixture(two_accounts())
        .start()
        .await
        .unwrap();
    let alice = build_client(&emu, "AK-A-MANAGER");
    let job_id = alice
        .create_build_job(bm::CreateBuildJobRequest::new().set_body(
            bm::CreateBuildJobRequestBody::new("x86", PROJECT_A, "backend", vec![]),
        ))
        .await
        .unwrap()
        .result
        .unwrap()
        .job_id
        .unwrap();
    for ak in ["AK-B-VIEWER", "AK-B-MANAGER"] {
        let bob = build_client(&emu, ak);
        assert_refused(
            "show_job_info",
            bob.show_job_info(bm::ShowJobInfoRequest::new(&job_id))
                .await,
        );
        assert_refused(
            "list_job_config",
            bob.list_job_config(bm::ListJobConfigRequest::new(&job_id))
                .await,
        );
        assert_refused(
            "run_job",
            bob.run_job(bm::RunJobRequest::new().set_body(bm::RunJobRequestBody::new(&job_id)))
                .await,
        );
        assert_refused(
            "show_job_status",
            bob.show_job_status(bm::ShowJobStatusRequest::new(&job_id))
                .await,
        );
        assert_refused(
            "show_list_history",
            bob.show_list_history(bm::ShowListHistoryRequest::new(&job_id, 0, 10, 0))
                .await,
        );
        assert_refused(
            "show_job_role_permission",
            bob.show_job_role_permission(bm::ShowJobRolePermissionRequest::new(&job_id))
                .await,
        );
        for project in [PROJECT_A, PROJECT_B] {
            assert_refused(
                "show_project_job_permission",
                bob.show_project_job_permission(bm::ShowProjectJobPermissionRequest::new(
                    project, &job_id,
                ))
                .await,
            );
        }
        assert_refused(
            "batch_update_job_role_permission",
            bob.batch_update_job_role_permission(
                bm::BatchUpdateJobRolePermissionRequest::new().set_body(
                    bm::RolePermissionsRequestBody::new()
                        .set_project_id(PROJECT_B)
                        .set_job_ids(vec![job_id.clone()])
                        .set_permissions(vec![bm::JobRolePermission::new()
                            .set_role_id(8)
                            .set_is_delete(true)]),
                ),
            )
            .await,
        );
        assert_refused(
            "delete_build_job",
            bob.delete_build_job(bm::DeleteBuildJobRequest::new(&job_id))
                .await,
        );
        assert_refused(
            "create_build_job in A's project",
            bob.create_build_job(bm::CreateBuildJobRequest::new().set_body(
                bm::CreateBuildJobRequestBody::new("x86", PROJECT_A, "intruder", vec![]),
            ))
            .await,
        );
        let listed = bob
            .list_project_jobs(bm::ListProjectJobsRequest::new(PROJECT_A, 0, 10))
            .await;
        assert_refused("list_project_jobs of A", listed);
    }
    // A viewer of A's own account may read but not run, stop, change permissions or delete.
    let carol = build_client(&emu, "AK-A-VIEWER");
    carol
        .show_job_info(bm::ShowJobInfoRequest::new(&job_id))
        .await
        .unwrap();
    assert_forbidden(
        "viewer runs",
        carol
            .run_job(bm::RunJobRequest::new().set_body(bm::RunJobRequestBody::new(&job_id)))
            .await,
    );
    assert_forbidden(
        "viewer grants itself",
        carol
            .batch_update_job_role_permission(
                bm::BatchUpdateJobRolePermissionRequest::new().set_body(
                    bm::RolePermissionsRequestBody::new()
                        .set_project_id(PROJECT_A)
                        .set_job_ids(vec![job_id.clone()])
                        .set_permissions(vec![bm::JobRolePermission::new()
                            .set_role_id(8)
                            .set_is_delete(true)]),
                ),
            )
            .await,
    );
    assert_forbidden(
        "viewer deletes",
        carol
            .delete_build_job(bm::DeleteBuildJobRequest::new(&job_id))
            .await,
    );
    let info = alice
        .show_job_info(bm::ShowJobInfoRequest::new(&job_id))
        .await
        .unwrap()
        .result
        .unwrap();
    assert_eq!(info.job_name.as_deref(), Some("backend"));
    let history = alice
        .show_list_history(bm::ShowListHistoryRequest::new(&job_id, 0, 10, 0))
        .await
        .unwrap();
    assert_eq!(history.total, Some(0), "nobody else ran it");
}

/// Operations the emulator does not model still refuse another account's project.
#[tokio::test]
async fn unmodelled_operations_refuse_another_accounts_project() {
    let emu = Emulator::builder()
        .fixture(two_accounts())
        .start()
        .await
        .unwrap();
    let bob = pipeline_client(&emu, "AK-B-MANAGER");
    assert_refused(
        "group tree of A's project",
        bob.show_pipeline_group_tree(pm::ShowPipelineGroupTreeRequest::new(PROJECT_A))
            .await,
    );
    bob.show_pipeline_group_tree(pm::ShowPipelineGroupTreeRequest::new(PROJECT_B))
        .await
        .expect("B's own project answers");
    let bob_build = build_client(&emu, "AK-B-MANAGER");
    // `project_id` in the query.
    assert_refused(
        "permission of a job in A's project",
        bob_build
            .show_project_job_permission(bm::ShowProjectJobPermissionRequest::new(
                PROJECT_A,
                "no-such-job",
            ))
            .await,
    );
    let log = emu.log();
    assert!(log.iter().all(|e| e.status == 200 || !e.applied), "{log:?}");
}

// ---- Item 10: tokens come from a CSPRNG and are looked up server-side. ----

/// A token for `user` of `domain`, scoped to `project`, straight from the IAM endpoint.
async fn issue_token(emu: &EmulatorHandle, user: &str, domain: &str, project: &str) -> String {
    let body = serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": format!("{user}-password"), "domain": {"name": domain}}}},
        "scope": {"project": {"id": project}}}});
    let resp = reqwest::Client::new()
        .post(format!("{}/v3/auth/tokens", emu.url()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    resp.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn list_with_token(emu: &EmulatorHandle, token: &str, project: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("{}/v5/{project}/api/pipelines/list", emu.url()))
        .header("x-auth-token", token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// The inverse of SplitMix64's finaliser: the old tokens were `splitmix(seed ^ n << 8 ^ i)`.
fn unsplitmix(mut x: u64) -> u64 {
    fn inverse(a: u64) -> u64 {
        // Newton's iteration for the inverse of an odd number modulo 2^64.
        let mut y = a;
        for _ in 0..6 {
            y = y.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(y)));
        }
        y
    }
    fn unshift(x: u64, s: u32) -> u64 {
        let mut y = x;
        for _ in 0..(64 / s + 1) {
            y = x ^ (y >> s);
        }
        y
    }
    x = unshift(x, 31);
    x = x.wrapping_mul(inverse(0x94d0_49bb_1331_11eb));
    x = unshift(x, 27);
    x = x.wrapping_mul(inverse(0xbf58_476d_1ce4_e5b9));
    x = unshift(x, 30);
    x.wrapping_sub(0x9e37_79b9_7f4a_7c15)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The 64-bit words after the `MII` prefix, read as hex.
fn words(token: &str) -> Vec<u64> {
    let hex = token.trim_start_matches("MIIemu");
    (0..hex.len() / 16)
        .filter_map(|i| u64::from_str_radix(&hex[i * 16..i * 16 + 16], 16).ok())
        .collect()
}

#[test]
fn unsplitmix_inverts_splitmix() {
    for x in [0, 1, 0xdead_beef, u64::MAX, 0x0123_4567_89ab_cdef] {
        assert_eq!(unsplitmix(splitmix(x)), x);
    }
}

#[tokio::test]
async fn tokens_are_random_and_known_only_to_the_server() {
    let emu = Emulator::builder()
        .fixture(two_accounts())
        .start()
        .await
        .unwrap();
    let mut mine = Vec::new();
    for _ in 0..64 {
        mine.push(issue_token(&emu, "alice", "account-a", PROJECT_A).await);
    }
    let theirs = issue_token(&emu, "bea", "account-b", PROJECT_B).await;

    // At least 128 bits that vary: every bit of the first 128 takes both values over 64 tokens
    // (a counter, a timestamp or a fixed seed leaves bits constant; chance of a false alarm
    // with random bits: 128 * 2^-63).
    for t in mine.iter().chain([&theirs]) {
        assert!(t.starts_with("MIIemu"), "{t}");
        assert!(words(t).len() >= 2, "{t}: fewer than 128 bits");
    }
    for bit in 0..128 {
        let ones = mine
            .iter()
            .filter(|t| words(t)[bit / 64] >> (bit % 64) & 1 == 1)
            .count();
        assert!(ones > 0 && ones < mine.len(), "bit {bit} never changes");
    }

    // No derivable relation: the words of one token are not the SplitMix of consecutive
    // inputs, so one's own token does not reveal the next one's (or another user's).
    for t in &mine {
        let w = words(t);
        let base = unsplitmix(w[0]);
        assert_ne!(unsplitmix(w[1]), base ^ 1, "{t}: the words are related");
    }
    let base = unsplitmix(words(&mine[0])[0]) ^ (1 << 8);
    for n in 2..=80u64 {
        let guess = splitmix(base ^ (n << 8));
        assert!(
            !mine.iter().chain([&theirs]).any(|t| words(t)[0] == guess),
            "token {n} was derived from the first one"
        );
    }
    let all: std::collections::HashSet<&String> = mine.iter().chain([&theirs]).collect();
    assert_eq!(all.len(), mine.len() + 1, "tokens repeat");

    // The server knows each token's identity: alice's token reads A, not B; bea's the reverse.
    assert_eq!(list_with_token(&emu, &mine[0], PROJECT_A).await.0, 200);
    assert_eq!(list_with_token(&emu, &mine[0], PROJECT_B).await.0, 404);
    assert_eq!(list_with_token(&emu, &theirs, PROJECT_B).await.0, 200);
    assert_eq!(list_with_token(&emu, &theirs, PROJECT_A).await.0, 404);

    // An unknown token of the right shape is refused.
    let mut forged = mine[0].clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let (status, body) = list_with_token(&emu, &forged, PROJECT_A).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body.contains(codearts_emulator::auth_codes::INVALID_TOKEN),
        "{body}"
    );
}

// ---- Item 13: an encoded slash stays inside its segment, and the signature binds the route. ----

/// Sends `GET path` (already percent-encoded) signed with `ak` exactly as the SDK signs it.
async fn signed_get(emu: &EmulatorHandle, ak: &str, path: &str) -> (u16, serde_json::Value) {
    use codearts_auth::{sign, AkSkCredentials, SigningRequest};
    let url = format!("{}{path}", emu.url());
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header("content-type", "application/json")
        .header("host", emu.addr().to_string())
        .body(bytes::Bytes::new())
        .unwrap();
    let creds = AkSkCredentials::new(ak, format!("{ak}-secret")).unwrap();
    sign(
        &SigningRequest::from_request(&request),
        &creds,
        std::time::SystemTime::now(),
    )
    .unwrap()
    .apply(request.headers_mut());
    let mut b = reqwest::Client::new().get(&url);
    for (k, v) in request.headers() {
        b = b.header(k, v);
    }
    let resp = b.send().await.unwrap();
    assert_eq!(
        resp.url().path(),
        path,
        "the client sends the path as written"
    );
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

#[tokio::test]
async fn an_encoded_slash_does_not_reach_another_operation() {
    let emu = Emulator::builder()
        .fixture(two_accounts())
        .start()
        .await
        .unwrap();
    let alice = pipeline_client(&emu, "AK-A-MANAGER");
    let (pipeline_id, _, _, _) = pipeline_waiting_for_review(&alice).await;

    // The run-detail route, signed and sent as such, answers.
    let plain = format!("/v5/{PROJECT_A}/api/pipelines/{pipeline_id}/pipeline-runs/detail");
    emu.clear_log();
    let (status, body) = signed_get(&emu, "AK-A-MANAGER", &plain).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(emu.log()[0].op.as_deref(), Some("show_pipeline_run_detail"));

    // The same text with encoded slashes has the same canonical URI under the signing rules,
    // so it verifies; it must not run the run-detail operation.
    let resplit = format!("/v5/{PROJECT_A}/api/pipelines/{pipeline_id}%2Fpipeline-runs%2Fdetail");
    emu.clear_log();
    let (status, body) = signed_get(&emu, "AK-A-MANAGER", &resplit).await;
    let log = emu.log();
    assert_eq!(log.len(), 1);
    assert_ne!(status, 200, "{body}");
    assert!(!log[0].applied, "{:?}", log[0]);
    assert_ne!(
        log[0].op.as_deref(),
        Some("show_pipeline_run_detail"),
        "{:?}",
        log[0]
    );
    // The signature covers the decoded path, which is another route: the request is refused
    // rather than run as a route the signer may not have meant.
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "EMU.40002", "{body}");
    assert!(
        body["error_msg"]
            .as_str()
            .unwrap()
            .contains("show_pipeline_run_detail"),
        "the refusal names both readings: {body}"
    );
    assert!(
        !body.to_string().contains("RUNNING"),
        "no run detail leaked: {body}"
    );
}

// ---- Item 14: the request log is a bounded ring. ----

#[tokio::test]
async fn the_request_log_keeps_the_newest_entries_up_to_its_capacity() {
    use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
    assert_eq!(codearts_emulator::DEFAULT_LOG_CAPACITY, 10_000);
    let emu = Emulator::builder().log_capacity(5).start().await.unwrap();
    let client: PipelineClient = common::aksk_with(&emu, DEMO_AK, DEMO_SK);
    for i in 0..12 {
        let err = client
            .show_pipeline_detail(pm::ShowPipelineDetailRequest::new(
                DEMO_PROJECT_ID,
                format!("p-{i}"),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.http_status_code(), Some(404));
    }
    let paths: Vec<String> = emu.log().into_iter().map(|e| e.path).collect();
    let want: Vec<String> = (7..12)
        .map(|i| format!("/v5/{DEMO_PROJECT_ID}/api/pipelines/p-{i}"))
        .collect();
    assert_eq!(paths, want, "the five newest, oldest first");
    assert_eq!(emu.requests_seen(), 12, "every request is counted");
}

// ---- Item 12: half-sent heads and idle connections are closed. ----

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the peer closes (Ok(0) or a reset) and returns what arrived; panics if the
/// connection is still open after `guard` (a hang guard, far above the configured timeouts).
async fn read_until_closed(stream: &mut TcpStream, guard: Duration) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(guard, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection is still open after {guard:?}"
    );
    all
}

async fn wait_for_open(emu: &EmulatorHandle, want: u64) {
    for _ in 0..500 {
        if emu.connections().open == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("open connections: {:?}, want {want}", emu.connections());
}

#[tokio::test]
async fn a_half_sent_head_is_closed_after_the_header_timeout() {
    let emu = Emulator::builder()
        .header_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut half = TcpStream::connect(emu.addr()).await.unwrap();
    half.write_all(b"GET /v3/projects HTTP/1.1\r\nHost: x\r\nX-Half: ")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(emu.addr()).await.unwrap();
    read_until_closed(&mut half, Duration::from_secs(20)).await;
    read_until_closed(&mut silent, Duration::from_secs(20)).await;
    wait_for_open(&emu, 0).await;
    assert!(emu.log().is_empty(), "nothing reached a handler");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_but_a_slow_answer_is_not() {
    let faults = codearts_emulator::Faults::none()
        .parse_rule("list_pipelines=latency-800ms")
        .unwrap();
    let emu = Emulator::builder()
        .faults(faults)
        .header_read_timeout(Duration::from_millis(200))
        .idle_timeout(Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    // A request handled for longer than both timeouts still gets its answer.
    let client: PipelineClient = common::aksk(&emu);
    client
        .list_pipelines(pm::ListPipelinesRequest::new(
            codearts_emulator::fixture::DEMO_PROJECT_ID,
        ))
        .await
        .expect("a slow answer is not cut by the connection timeouts");

    // A whole request, then silence: answered, then closed once idle.
    let mut conn = TcpStream::connect(emu.addr()).await.unwrap();
    conn.write_all(b"GET /v9/nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut conn, Duration::from_secs(20)).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 404"), "{text}");
    assert_eq!(text.matches("HTTP/1.1").count(), 1, "{text}");
}

#[tokio::test]
async fn half_open_connections_do_not_stop_a_legitimate_call() {
    // Below the connection limit: the call is served while they hang.
    let emu = Emulator::builder()
        .header_read_timeout(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let mut hanging = Vec::new();
    for _ in 0..100 {
        let mut s = TcpStream::connect(emu.addr()).await.unwrap();
        s.write_all(b"POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        hanging.push(s);
    }
    wait_for_open(&emu, 100).await;
    let client: PipelineClient = common::aksk(&emu);
    client
        .list_pipelines(pm::ListPipelinesRequest::new(
            codearts_emulator::fixture::DEMO_PROJECT_ID,
        ))
        .await
        .unwrap();
    drop(hanging);

    // At the connection limit: the call waits in the backlog until the header timeout frees a
    // slot, then is served; never more than the limit are open.
    let emu = Emulator::builder()
        .max_connections(8)
        .header_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut hanging = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(emu.addr()).await.unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
        hanging.push(s);
    }
    let client: PipelineClient = common::aksk(&emu);
    client
        .list_pipelines(pm::ListPipelinesRequest::new(
            codearts_emulator::fixture::DEMO_PROJECT_ID,
        ))
        .await
        .unwrap();
    let stats = emu.connections();
    assert!(stats.peak_open <= 8, "{stats:?}");
}

// ---- Item 11: no memory for bodies before authentication. ----

/// Sends `head` (without its final blank line) announcing a `declared`-byte body, then
/// `sent` bytes of it, and returns the status line of the answer. Write errors are ignored:
/// the emulator may answer and close before the client is done.
async fn upload(emu: &EmulatorHandle, head: &str, declared: usize, sent: usize) -> String {
    let mut s = TcpStream::connect(emu.addr()).await.unwrap();
    let head = format!("{head}Content-Length: {declared}\r\n\r\n");
    let _ = s.write_all(head.as_bytes()).await;
    let chunk = vec![b'x'; 64 << 10];
    let mut left = sent;
    while left > 0 {
        let n = left.min(chunk.len());
        if s.write_all(&chunk[..n]).await.is_err() {
            break;
        }
        left -= n;
    }
    let got = read_until_closed(&mut s, Duration::from_secs(20)).await;
    let text = String::from_utf8_lossy(&got).into_owned();
    text.lines().next().unwrap_or("").to_owned()
}

fn post_head(path: &str, auth: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n{auth}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_uploads_are_refused_before_their_bodies_are_read() {
    use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID};
    let emu = Emulator::builder()
        .unauthenticated_body_budget(4 << 20)
        .start()
        .await
        .unwrap();
    let path = format!("/v5/{DEMO_PROJECT_ID}/api/pipelines");
    let now = {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        codearts_auth::signer::format_sdk_date(std::time::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap()
    };
    let bad_sig = "0".repeat(64);
    let heads = [
        String::new(),
        "X-Auth-Token: MIIemu0000\r\n".to_owned(),
        "Authorization: Basic dXNlcjpwdw==\r\n".to_owned(),
        format!("Authorization: SDK-HMAC-SHA256 Access=NOSUCHAK, SignedHeaders=x-sdk-date, Signature={bad_sig}\r\nX-Sdk-Date: {now}\r\n"),
        format!("Authorization: SDK-HMAC-SHA256 Access={DEMO_AK}, SignedHeaders=x-sdk-date, Signature={bad_sig}\r\nX-Sdk-Date: 20000101T000000Z\r\n"),
        format!("Authorization: SDK-HMAC-SHA256 Access={DEMO_AK}, SignedHeaders=host;x-sdk-date, Signature={bad_sig}\r\n"),
    ];
    // Twelve 60 MiB uploads at once, each sending only its first 256 KiB: every one is
    // answered 401 from its head alone, or the client would wait for the rest in vain.
    let uploads = (0..12).map(|i| {
        let head = post_head(&path, &heads[i % heads.len()]);
        let emu = &emu;
        async move { upload(emu, &head, 60 << 20, 256 << 10).await }
    });
    for status in futures_util::future::join_all(uploads).await {
        assert!(status.starts_with("HTTP/1.1 401"), "{status}");
    }
    let stats = emu.unauthenticated_bodies();
    assert_eq!(stats.peak_buffered, 0, "nothing buffered: {stats:?}");

    // A body over the size cap is refused on its Content-Length, unread.
    let head = post_head(
        &path,
        &format!("Authorization: SDK-HMAC-SHA256 Access={DEMO_AK}, SignedHeaders=x-sdk-date, Signature={bad_sig}\r\nX-Sdk-Date: {now}\r\n"),
    );
    let status = upload(&emu, &head, (64 << 20) + 1, 64 << 10).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");

    // Heads that pass (a known key, a fresh date) but whose signatures are wrong: their
    // bodies are read under the shared budget, never more than it at once.
    let uploads = (0..12).map(|_| {
        let head = head.clone();
        let emu = &emu;
        async move { upload(emu, &head, 1 << 20, 1 << 20).await }
    });
    for status in futures_util::future::join_all(uploads).await {
        assert!(
            status.starts_with("HTTP/1.1 401") || status.starts_with("HTTP/1.1 503"),
            "{status}"
        );
    }
    let stats = emu.unauthenticated_bodies();
    assert!(stats.peak_buffered <= 4 << 20, "{stats:?}");
    assert!(stats.peak_buffered > 0, "these were read: {stats:?}");
    assert_eq!(stats.buffered, 0, "all given back: {stats:?}");

    // And a legitimate call still works.
    let client: PipelineClient = common::aksk(&emu);
    client
        .create_pipeline_new(
            pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID)
                .set_body(pm::PipelineDTO::new("after", false, "{}")),
        )
        .await
        .unwrap();
    assert_eq!(emu.unauthenticated_bodies().buffered, 0);
}
