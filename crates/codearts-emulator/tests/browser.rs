//! The web console in a real browser: headless Chromium driven through chromedriver (the
//! W3C WebDriver protocol, spoken over reqwest: a handful of JSON calls, no extra crate).
//!
//! It clicks through to a run waiting at a manual review, types an opinion and clicks Reject,
//! then checks through the API that the run FAILED with that opinion; it unticks a permission
//! in a build job's matrix, saves, and checks `show_project_job_permission`. Screenshots go to
//! `target/console-screenshots/`.
//!
//! Skipped, loudly, when `chromium` or `chromedriver` is missing, unless
//! `CODEARTS_BROWSER_REQUIRED=1` (CI sets it), which makes their absence a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use codearts_auth::{AkSkCredentials, Credentials};
use codearts_build::model as bm;
use codearts_build::BuildClient;
use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
use codearts_emulator::{Emulator, EmulatorHandle};
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;
use serde_json::{json, Value};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Kills chromedriver (and with it the browser) when the test ends, passed or not.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromedriver: &Path, chromium: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            session: String::new(),
        };
        for _ in 0..100 {
            let ready = driver.call("GET", "/status", None).await;
            if ready.is_ok_and(|v| v["value"]["ready"] == true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let created = driver
            .call(
                "POST",
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.to_string_lossy(),
                        // Root in CI containers: Chromium's sandbox needs a user namespace.
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage", "--window-size=1280,1000"]
                    }
                }}})),
            )
            .await
            .expect("a browser session");
        driver.session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        driver
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.url);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let answer = request.send().await.map_err(|e| e.to_string())?;
        let status = answer.status();
        let text = answer.text().await.map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{method} {path}: {status} {value}"))
        }
    }

    async fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.call(method, &path, body).await.unwrap()
    }

    async fn go(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The element `css` selects, waiting up to 5 s for it to appear.
    async fn find(&self, css: &str) -> String {
        let path = format!("/session/{}/element", self.session);
        for _ in 0..50 {
            let found = self
                .call(
                    "POST",
                    &path,
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Ok(v) = found {
                return v["value"][ELEMENT]
                    .as_str()
                    .unwrap_or_else(|| panic!("{v}"))
                    .to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let source = self.session_call("GET", "/source", None).await;
        panic!("no element `{css}` on the page: {}", source["value"]);
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.session_call("POST", &format!("/element/{element}/click"), None)
            .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.session_call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn screenshot(&self, name: &str) {
        let shot = self.session_call("GET", "/screenshot", None).await;
        let png = decode_base64(shot["value"].as_str().unwrap());
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn quit(&self) {
        let _ = self
            .call("DELETE", &format!("/session/{}", self.session), None)
            .await;
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn creds() -> Credentials {
    Credentials::AkSk(AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap())
}

async fn setup(emu: &EmulatorHandle) -> (PipelineClient, BuildClient, String, String, String) {
    let pc = PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(creds())
        .build()
        .unwrap();
    let bc = BuildClient::builder()
        .endpoint(emu.url())
        .credentials(creds())
        .build()
        .unwrap();
    let pipeline = pc
        .create_pipeline_new(pm::CreatePipelineNewRequest::new(DEMO_PROJECT_ID).set_body(
            pm::PipelineDTO::new("release", false, r#"{"stages":[{"name":"Manual review"}]}"#),
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
    let job = bc
        .create_build_job(bm::CreateBuildJobRequest::new().set_body(
            bm::CreateBuildJobRequestBody::new(
                "x86",
                DEMO_PROJECT_ID,
                "nightly",
                Vec::<bm::CreateBuildJobSteps>::new(),
            ),
        ))
        .await
        .unwrap()
        .result
        .unwrap()
        .job_id
        .unwrap();
    (pc, bc, pipeline, run, job)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_rejects_a_review_and_edits_a_permission() {
    let required = std::env::var("CODEARTS_BROWSER_REQUIRED").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(chromedriver)) = (
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
        find_program(&["chromedriver"]),
    ) else {
        assert!(
            !required,
            "CODEARTS_BROWSER_REQUIRED=1 but chromium or chromedriver is not installed \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "\n\n*** SKIPPED: the console browser test needs chromium and chromedriver \
             (apt-get install chromium chromium-driver); set CODEARTS_BROWSER_REQUIRED=1 to \
             make this a failure ***\n"
        );
        return;
    };
    let emu = Emulator::builder().start().await.unwrap();
    let (pc, bc, pipeline, run, job) = setup(&emu).await;
    let driver = Driver::start(&chromedriver, &chromium).await;

    // Pick the account's user, then the pipeline, then the run waiting at the review.
    driver.go(&format!("{}/_console", emu.url())).await;
    driver.click("a[data-user='demo']").await;
    driver
        .click(&format!("a[href*='pipeline={pipeline}']"))
        .await;
    driver.click(&format!("a[data-run='{run}']")).await;
    driver.find("[data-status='PENDING']").await;
    driver.screenshot("1-run-waiting-at-review").await;
    driver
        .type_into("#opinion", "the release notes are missing")
        .await;
    driver.click("#reject").await;
    // Back on the run page, now failed, without the form.
    driver.find("#live [data-status='FAILED']").await;
    driver.screenshot("2-run-rejected").await;

    let detail = pc
        .show_pipeline_run_detail(
            pm::ShowPipelineRunDetailRequest::new(DEMO_PROJECT_ID, &pipeline)
                .set_pipeline_run_id(&run),
        )
        .await
        .unwrap();
    assert_eq!(detail.status.as_deref(), Some("FAILED"));
    let stages = detail.stages.unwrap();
    let step = &stages[0].jobs.as_ref().unwrap()[0].steps.as_ref().unwrap()[0];
    assert_eq!(
        step.message.as_deref(),
        Some("refused by demo: the release notes are missing")
    );

    // Live: a run started through the API appears on the open pipeline page without a reload.
    driver.click("a[href*='/_console/pipeline']").await;
    driver.find(&format!("a[data-run='{run}']")).await;
    let second = pc
        .run_pipeline(pm::RunPipelineRequest::new(DEMO_PROJECT_ID, &pipeline))
        .await
        .unwrap()
        .pipeline_run_id
        .unwrap();
    driver.find(&format!("a[data-run='{second}']")).await;
    driver.screenshot("3-new-run-appeared-live").await;

    // The permission matrix: untick "copy" for role 3 and save.
    let shown = || async {
        bc.show_project_job_permission(bm::ShowProjectJobPermissionRequest::new(
            DEMO_PROJECT_ID,
            &job,
        ))
        .await
        .unwrap()
        .result
        .unwrap()
    };
    assert_eq!(shown().await.is_copy, Some(true));
    driver
        .go(&format!(
            "{}/_console/home?as={}",
            emu.url(),
            codearts_emulator::fixture::DEMO_USER_ID
        ))
        .await;
    driver.click(&format!("a[href*='job={job}']")).await;
    driver.click("#perm-3-is_copy").await;
    driver.screenshot("4-permission-unticked").await;
    driver.click("#perm-3-save").await;
    driver.find("#perm-3-is_copy:not(:checked)").await;
    driver.screenshot("5-permission-saved").await;
    let after = shown().await;
    assert_eq!(after.is_copy, Some(false));
    assert_eq!(after.is_execute, Some(true));
    driver.quit().await;
}
