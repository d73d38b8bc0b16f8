//! The web console through the server: who may open it, the review and permission forms, the
//! request log, escaping and account isolation.

use std::sync::Arc;

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_build::model as bm;
use codearts_build::BuildClient;
use codearts_emulator::fixture::{
    AccessKey, Account, Fixture, Project, User, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, DEMO_USER_ID,
};
use codearts_emulator::{Emulator, EmulatorHandle};
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;

const OTHER_USER: &str = "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1";

/// The demo account and a second one with its own project.
fn two_accounts() -> Fixture {
    let mut fx = Fixture::demo();
    fx.accounts.push(Account {
        domain_id: "e".repeat(32),
        domain_name: "other".to_owned(),
        users: vec![User {
            id: OTHER_USER.to_owned(),
            name: "mallory".to_owned(),
            password: "pw".to_owned(),
            access_keys: vec![AccessKey {
                access_key: "OTHERAK".to_owned(),
                secret_key: "OTHERSK".to_owned(),
            }],
            role_id: Some(3),
        }],
        projects: vec![Project {
            id: "f".repeat(32),
            name: "other-project".to_owned(),
        }],
    });
    fx
}

fn creds() -> Credentials {
    Credentials::AkSk(AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap())
}

fn pipelines(emu: &EmulatorHandle) -> PipelineClient {
    PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(creds())
        .build()
        .unwrap()
}

fn builds(emu: &EmulatorHandle) -> BuildClient {
    BuildClient::builder()
        .endpoint(emu.url())
        .credentials(creds())
        .build()
        .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `<input ... name="NAME" value="...">` in a page.
fn input(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no input {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A pipeline with a manual review, run once: (pipeline id, run id).
async fn run_at_review(emu: &EmulatorHandle, name: &str) -> (String, String) {
    let pc = pipelines(emu);
    let pipeline = pc
        .create_pipeline_new(pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID).set_body(
            pm::PipelineDTO::new(name, false, r#"{"manual_review":true}"#),
        ))
        .await
        .unwrap()
        .pipeline_id
        .unwrap();
    let run = pc
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &pipeline))
        .await
        .unwrap()
        .pipeline_run_id
        .unwrap();
    (pipeline, run)
}

/// A non-loopback address of this machine, if it has one.
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn a_non_loopback_client_is_refused_without_the_password() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("SKIPPED: this machine has no non-loopback address to connect from");
        return;
    };
    let emu = Emulator::builder()
        .listen("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let port = emu.addr().port();
    let remote = format!("http://{ip}:{port}/_console");
    let local = format!("http://127.0.0.1:{port}/_console");
    let answer = http().get(&remote).send().await.unwrap();
    assert_eq!(answer.status(), 403);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("loopback clients only"));
    assert_eq!(http().get(&local).send().await.unwrap().status(), 200);
    emu.shutdown().await;

    let emu = Emulator::builder()
        .listen("0.0.0.0:0".parse().unwrap())
        .console_password("s3cret")
        .start()
        .await
        .unwrap();
    let port = emu.addr().port();
    let remote = format!("http://{ip}:{port}/_console");
    let refused = http().get(&remote).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let wrong = http()
        .get(&remote)
        .basic_auth("anyone", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = http()
        .get(&remote)
        .basic_auth("anyone", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    // With a password, loopback clients need it too.
    let local = format!("http://127.0.0.1:{port}/_console");
    assert_eq!(http().get(&local).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn rejecting_in_the_console_fails_the_run_with_the_opinion() {
    let emu = Emulator::builder()
        .fixture(two_accounts())
        .start()
        .await
        .unwrap();
    let (pipeline, run) = run_at_review(&emu, "<script>alert(1)</script>").await;
    let base = emu.url();
    let home = http()
        .get(format!("{base}/_console/home?as={DEMO_USER_ID}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!home.contains("<script>alert"));
    let run_url =
        format!("{base}/_console/run?as={DEMO_USER_ID}&project={DEMO_PROJECT_ID}&pipeline={pipeline}&run={run}");
    let page = http()
        .get(&run_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"reject\""), "{page}");
    assert!(page.contains("data-status=\"PENDING\""));
    let form = |csrf: String, who: &str| {
        vec![
            ("csrf", csrf),
            ("as", who.to_owned()),
            ("project", input(&page, "project")),
            ("pipeline", input(&page, "pipeline")),
            ("run", input(&page, "run")),
            ("job_run", input(&page, "job_run")),
            ("step_run", input(&page, "step_run")),
            ("decision", "reject".to_owned()),
            ("opinion", "tests are red & flaky".to_owned()),
        ]
    };
    // Without the page's token: refused, nothing changes.
    let forged = http()
        .post(format!("{base}/_console/review"))
        .form(&form("0".repeat(32), DEMO_USER_ID))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // As a user of another account: the run is not found for them.
    let other = http()
        .post(format!("{base}/_console/review"))
        .form(&form(input(&page, "csrf"), OTHER_USER))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 400);
    assert!(other.text().await.unwrap().contains("does not exist"));
    let detail = |pc: PipelineClient| {
        let (pipeline, run) = (pipeline.clone(), run.clone());
        async move {
            pc.show_pipeline_run_detail(
                pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, &pipeline)
                    .set_pipeline_run_id(&run),
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(
        detail(pipelines(&emu)).await.status.as_deref(),
        Some("RUNNING")
    );
    // The demo user, with the token: the run fails with the opinion.
    let done = http()
        .post(format!("{base}/_console/review"))
        .form(&form(input(&page, "csrf"), DEMO_USER_ID))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let detail = detail(pipelines(&emu)).await;
    assert_eq!(detail.status.as_deref(), Some("FAILED"));
    let stages = detail.stages.unwrap();
    let step = &stages[0].jobs.as_ref().unwrap()[0].steps.as_ref().unwrap()[0];
    assert_eq!(
        step.message.as_deref(),
        Some("refused by demo: tests are red & flaky")
    );
    // The other account's user cannot even open the run page.
    let hidden = http()
        .get(run_url.replace(DEMO_USER_ID, OTHER_USER))
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
}

#[tokio::test]
async fn editing_a_permission_in_the_console_changes_the_api_answer() {
    let emu = Emulator::builder().start().await.unwrap();
    let bc = builds(&emu);
    let job = bc
        .create_build_job(bm::CreateBuildJobRequest::new().set_body(
            bm::CreateBuildJobRequestBody::new(
                "x86",
                DEMO_PROJECT_ID,
                "console-job",
                Vec::<bm::CreateBuildJobSteps>::new(),
            ),
        ))
        .await
        .unwrap()
        .result
        .unwrap()
        .job_id
        .unwrap();
    let shown = |bc: Arc<BuildClient>, job: String| async move {
        bc.show_project_job_permission(bm::ShowProjectJobPermissionRequest::new(
            DEMO_PROJECT_ID,
            &job,
        ))
        .await
        .unwrap()
        .result
        .unwrap()
    };
    let bc = Arc::new(bc);
    assert_eq!(shown(bc.clone(), job.clone()).await.is_copy, Some(true));
    let base = emu.url();
    let page = http()
        .get(format!("{base}/_console/job?as={DEMO_USER_ID}&job={job}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"perm-3-is_copy\""), "{page}");
    // Role 3 (the demo user's) keeps everything but copy.
    let mut form = vec![
        ("csrf", input(&page, "csrf")),
        ("as", DEMO_USER_ID.to_owned()),
        ("job", job.clone()),
        ("role", "3".to_owned()),
    ];
    for flag in [
        "is_view",
        "is_execute",
        "is_modify",
        "is_delete",
        "is_manager",
    ] {
        form.push((flag, "1".to_owned()));
    }
    let saved = http()
        .post(format!("{base}/_console/permission"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let after = shown(bc, job.clone()).await;
    assert_eq!(after.is_copy, Some(false));
    assert_eq!(after.is_execute, Some(true));
}

#[tokio::test]
async fn the_request_log_shows_refusals_and_the_computed_canonical_request() {
    let emu = Emulator::builder().start().await.unwrap();
    let wrong = PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(Credentials::AkSk(
            AkSkCredentials::new(DEMO_AK, "not-the-secret-key").unwrap(),
        ))
        .build()
        .unwrap();
    wrong
        .list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID))
        .await
        .unwrap_err();
    let entry = emu.log().last().cloned().unwrap();
    assert_eq!(entry.status, 401);
    assert!(entry.reason.as_deref().unwrap().starts_with("APIGW.0304"));
    let canonical = entry.canonical_request.unwrap();
    assert!(
        canonical.starts_with(&format!(
            "POST\n/v5/{DEMO_PROJECT_ID}/api/pipelines/list/\n"
        )),
        "{canonical}"
    );
    let page = http()
        .get(format!("{}/_console/log", emu.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("APIGW.0304"));
    assert!(page.contains("canonical request the emulator computed"));
    assert!(page.contains(&format!("/v5/{DEMO_PROJECT_ID}/api/pipelines/list/")));
    // The console's own requests are not logged.
    assert_eq!(emu.log().len(), 1);
}
