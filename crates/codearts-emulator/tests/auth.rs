//! Authentication as the cloud does it: every tampered, unsigned, stale or unknown request is
//! refused with 401 and its own code.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use codearts_auth::{sign, AkSkCredentials, ManualClock, SigningRequest};
use codearts_emulator::fixture::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK};
use codearts_emulator::{auth_codes, Emulator, EmulatorHandle};
use codearts_pipeline::model as pm;
use codearts_pipeline::PipelineClient;
use serde_json::Value;

struct Req {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn signed(
    emu: &EmulatorHandle,
    method: &str,
    path_query: &str,
    body: &[u8],
    sk: &str,
    time: SystemTime,
) -> Req {
    let url = format!("{}{path_query}", emu.url());
    let mut request = http::Request::builder()
        .method(method)
        .uri(&url)
        .header("content-type", "application/json;charset=UTF-8")
        .header("host", emu.addr().to_string())
        .body(bytes::Bytes::copy_from_slice(body))
        .unwrap();
    let creds = AkSkCredentials::new(DEMO_AK, sk).unwrap();
    sign(&SigningRequest::from_request(&request), &creds, time)
        .unwrap()
        .apply(request.headers_mut());
    Req {
        method: method.to_owned(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or("").to_owned(),
        headers: request
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect(),
        body: body.to_vec(),
    }
}

async fn send(emu: &EmulatorHandle, r: &Req) -> (u16, Value) {
    let url = if r.query.is_empty() {
        format!("{}{}", emu.url(), r.path)
    } else {
        format!("{}{}?{}", emu.url(), r.path, r.query)
    };
    let client = reqwest::Client::new();
    let mut b = client
        .request(r.method.parse().unwrap(), url)
        .body(r.body.clone());
    for (k, v) in &r.headers {
        b = b.header(k, v);
    }
    let resp = b.send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v["error_code"].as_str().unwrap_or("")
}

const PATH: &str = "/v1/job/permission?project_id=p1&job_id=j1";

#[tokio::test]
async fn any_tampering_is_refused() {
    let emu = Emulator::builder().start().await.unwrap();
    let now = SystemTime::now();
    let body = br#"{"name":"x","is_publish":false,"definition":"{}"}"#;
    let pq = format!("/v5/{DEMO_PROJECT_ID}/api/pipelines?component_id=c1");
    let good = signed(&emu, "POST", &pq, body, DEMO_SK, now);
    assert_eq!(send(&emu, &good).await.0, 200);

    let mut cases: Vec<(&str, Req)> = Vec::new();
    let mut r = signed(&emu, "POST", &pq, body, DEMO_SK, now);
    r.method = "PUT".into();
    cases.push(("method", r));
    let mut r = signed(&emu, "POST", &pq, body, DEMO_SK, now);
    r.path = format!("/v5/{DEMO_PROJECT_ID}/api/pipelinez");
    cases.push(("path", r));
    let mut r = signed(&emu, "POST", &pq, body, DEMO_SK, now);
    r.query = "component_id=c2".into();
    cases.push(("query value", r));
    let mut r = signed(&emu, "POST", &pq, body, DEMO_SK, now);
    for (k, v) in &mut r.headers {
        if k == "content-type" {
            *v = "application/json".into();
        }
    }
    cases.push(("signed header", r));
    let mut r = signed(&emu, "POST", &pq, body, DEMO_SK, now);
    r.body = br#"{"name":"y","is_publish":false,"definition":"{}"}"#.to_vec();
    cases.push(("body", r));
    for (what, r) in cases {
        let (status, v) = send(&emu, &r).await;
        // A changed method or path may also hit no route (404/405) before auth; the
        // emulator checks routes first, like the gateway. Use routes that exist.
        if what == "method" {
            // PUT on this path is not a route: 405 in the service shape.
            assert_eq!(status, 405, "{what}: {v}");
            continue;
        }
        if what == "path" {
            assert_eq!(status, 404, "{what}: {v}");
            continue;
        }
        assert_eq!(status, 401, "{what}: {v}");
        assert_eq!(code(&v), auth_codes::SIGNATURE_MISMATCH, "{what}");
    }

    // Method and path changes onto routes that exist: refused by the signature.
    let show = format!("/v5/{DEMO_PROJECT_ID}/api/pipelines/abc");
    let mut r = signed(&emu, "GET", &show, b"", DEMO_SK, now);
    r.method = "DELETE".into();
    let (status, v) = send(&emu, &r).await;
    assert_eq!((status, code(&v)), (401, auth_codes::SIGNATURE_MISMATCH));
    let mut r = signed(&emu, "GET", &show, b"", DEMO_SK, now);
    r.path = format!("/v5/{DEMO_PROJECT_ID}/api/pipelines/abd");
    let (status, v) = send(&emu, &r).await;
    assert_eq!((status, code(&v)), (401, auth_codes::SIGNATURE_MISMATCH));
    assert!(emu
        .log()
        .iter()
        .filter(|e| e.status == 401)
        .all(|e| !e.applied));
}

#[tokio::test]
async fn each_refusal_has_its_code() {
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let emu = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let now = clock_now(&clock);

    let r = signed(&emu, "GET", PATH, b"", "WRONG-SK", now);
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::SIGNATURE_MISMATCH));

    let mut r = signed(&emu, "GET", PATH, b"", DEMO_SK, now);
    r.headers.retain(|(k, _)| k != "authorization");
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::MISSING_AUTHORIZATION));

    let mut r = signed(&emu, "GET", PATH, b"", DEMO_SK, now);
    for (k, v) in &mut r.headers {
        if k == "authorization" {
            *v = v.replace(DEMO_AK, "NOSUCHAK");
        }
    }
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::UNKNOWN_ACCESS_KEY));

    let mut r = signed(&emu, "GET", PATH, b"", DEMO_SK, now);
    for (k, v) in &mut r.headers {
        if k == "authorization" {
            *v = "Basic dXNlcjpwdw==".into();
        }
    }
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::MALFORMED_AUTHORIZATION));

    let mut r = signed(&emu, "GET", PATH, b"", DEMO_SK, now);
    for (k, v) in &mut r.headers {
        if k == "x-sdk-date" {
            *v = "yesterday".into();
        }
    }
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::MALFORMED_DATE));

    let mut r = signed(&emu, "GET", PATH, b"", DEMO_SK, now);
    r.headers.retain(|(k, _)| k != "x-sdk-date");
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::MISSING_DATE));

    // Stale: signed 16 minutes before the server clock; 14 minutes is fine.
    let r = signed(
        &emu,
        "GET",
        PATH,
        b"",
        DEMO_SK,
        now - Duration::from_secs(16 * 60),
    );
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::STALE_DATE));
    let r = signed(
        &emu,
        "GET",
        PATH,
        b"",
        DEMO_SK,
        now + Duration::from_secs(16 * 60),
    );
    assert_eq!(code(&send(&emu, &r).await.1), auth_codes::STALE_DATE);
    let r = signed(
        &emu,
        "GET",
        PATH,
        b"",
        DEMO_SK,
        now - Duration::from_secs(14 * 60),
    );
    let (s, v) = send(&emu, &r).await;
    assert_ne!(s, 401, "{v}");

    // Tokens: unknown, then expired.
    let mut r = signed(&emu, "GET", PATH, b"", DEMO_SK, now);
    r.headers.retain(|(k, _)| k != "authorization");
    r.headers.push(("x-auth-token".into(), "MIIforged".into()));
    let (s, v) = send(&emu, &r).await;
    assert_eq!((s, code(&v)), (401, auth_codes::INVALID_TOKEN));
}

fn token_requests(emu: &codearts_emulator::EmulatorHandle) -> usize {
    emu.log()
        .iter()
        .filter(|e| e.path == "/v3/auth/tokens" && e.status == 201)
        .count()
}

fn clock_now(clock: &ManualClock) -> SystemTime {
    use codearts_auth::Clock;
    clock.now()
}

#[tokio::test]
async fn tokens_expire_and_wrong_passwords_are_refused_in_iam_shape() {
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let emu = Emulator::builder()
        .clock(clock.clone())
        .token_lifetime(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let client: PipelineClient = common::password(&emu);
    let list = || client.list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID));
    list().await.unwrap();
    clock.advance(Duration::from_secs(3601));
    // The client's cached token is now expired on the server's clock (the client's own clock
    // did not move, so it sends the old token): the refusal makes it fetch a new token and
    // repeat the call once.
    let issued_before = token_requests(&emu);
    list().await.unwrap();
    assert_eq!(token_requests(&emu), issued_before + 1);
    let refused: Vec<_> = emu.log().into_iter().filter(|e| e.status == 401).collect();
    assert_eq!(
        refused.len(),
        1,
        "one refusal, one refresh, one success: {refused:?}"
    );

    let bad: PipelineClient = common::password_with(&emu, "not-the-password");
    let err = bad
        .list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID))
        .await
        .unwrap_err();
    assert!(err.is_credentials(), "{err}");
    assert!(!err.is_auth(), "the service was never asked: {err}");

    let raw = reqwest::Client::new()
        .post(format!("{}/v3/auth/tokens", emu.url()))
        .body(r#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","password":"nope","domain":{"name":"demo"}}}},"scope":{"project":{"name":"demo-project"}}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 401);
    let v: Value = serde_json::from_slice(&raw.bytes().await.unwrap()).unwrap();
    assert_eq!(v["error"]["code"], 401);
    assert_eq!(v["error"]["title"], "Unauthorized");
}

#[tokio::test]
async fn iam_token_body_conforms_and_projects_list() {
    let emu = Emulator::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/v3/auth/tokens", emu.url()))
        .body(r#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","password":"demo-password","domain":{"name":"demo"}}}},"scope":{"domain":{"name":"demo"}}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let token = resp.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: codearts_model::iam::KeystoneCreateUserTokenByPasswordResponse =
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    let t = body.token.unwrap();
    assert_eq!(t.methods, vec!["password".to_owned()]);
    assert!(t.domain.is_some());
    let resp = http
        .get(format!("{}/v3/projects?name=demo-project", emu.url()))
        .header("x-auth-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let list: codearts_model::iam::KeystoneListProjectsResponse =
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(list.projects.unwrap()[0].id, DEMO_PROJECT_ID);
}

#[tokio::test]
async fn a_client_with_a_slow_clock_corrects_itself_from_the_refusal() {
    let server_clock = Arc::new(ManualClock::new(SystemTime::now()));
    let emu = Emulator::builder()
        .clock(server_clock.clone())
        .start()
        .await
        .unwrap();
    // The client's clock is 40 minutes behind the emulator's.
    let client_clock = Arc::new(ManualClock::new(
        clock_now(&server_clock) - Duration::from_secs(40 * 60),
    ));
    let client = PipelineClient::builder()
        .endpoint(emu.url())
        .credentials(codearts_auth::Credentials::AkSk(
            AkSkCredentials::new(DEMO_AK, DEMO_SK).unwrap(),
        ))
        .clock(client_clock)
        .build()
        .unwrap();
    client
        .list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID))
        .await
        .unwrap();
    client
        .list_pipelines(pm::ListPipelinesRequest::new(DEMO_PROJECT_ID))
        .await
        .unwrap();
    let statuses: Vec<u16> = emu.log().iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [401, 200, 200],
        "refused once for its date, then signed with the server's clock"
    );
}
