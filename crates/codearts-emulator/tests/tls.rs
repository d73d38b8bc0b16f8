//! HTTPS: a client that trusts the emulator's CA reaches it; one that does not is refused
//! during the handshake; the binary writes its CA where `--tls-ca-out` says.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use codearts_emulator::tls::Tls;
use codearts_emulator::Emulator;

const LIST: &str = "/v5/5a1b2c3d4e5f60718293a4b5c6d7e8f9/api/pipelines/list";

fn trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

/// The whole error chain as text: reqwest keeps the TLS reason in its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[tokio::test]
async fn a_client_trusting_the_ca_reaches_the_emulator_over_https() {
    let tls = Tls::generate().unwrap();
    let emu = Emulator::builder().tls(tls).start().await.unwrap();
    assert!(emu.url().starts_with("https://127.0.0.1:"), "{}", emu.url());
    let ca = emu.tls_ca_pem().unwrap().to_owned();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");

    let answer = trusting(&ca)
        .post(format!("{}{LIST}", emu.url()))
        .send()
        .await
        .expect("the handshake succeeds with the CA trusted");
    // An unsigned request: the emulator itself answered, over TLS, in the gateway's words.
    assert_eq!(answer.status(), 401);
    assert!(answer.text().await.unwrap().contains("APIGW.0301"));
    assert_eq!(emu.log().pop().unwrap().status, 401);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_client_not_trusting_the_ca_fails_with_a_tls_error() {
    let emu = Emulator::builder()
        .tls(Tls::generate().unwrap())
        .start()
        .await
        .unwrap();
    // The system's roots (webpki) do not include a CA made a moment ago.
    let e = reqwest::Client::new()
        .post(format!("{}{LIST}", emu.url()))
        .send()
        .await
        .expect_err("an unknown CA is refused");
    let text = chain(&e);
    assert!(e.is_connect(), "{text}");
    assert!(text.contains("certificate"), "a certificate error: {text}");
    // Another emulator's CA does not do either: each run makes its own.
    let other = Tls::generate().unwrap();
    let e = trusting(other.ca_pem())
        .post(format!("{}{LIST}", emu.url()))
        .send()
        .await
        .expect_err("another CA is refused");
    assert!(chain(&e).contains("certificate"), "{}", chain(&e));
    // Plain HTTP to the TLS port is no request: nothing reaches the log.
    let plain = emu.url().replace("https://", "http://");
    let _ = reqwest::Client::new()
        .post(format!("{plain}{LIST}"))
        .send()
        .await;
    assert!(emu.log().is_empty(), "{:?}", emu.log());
    emu.shutdown().await;
}

#[test]
fn tls_debug_does_not_print_the_key() {
    let text = format!("{:?}", Tls::generate().unwrap());
    assert!(text.contains("[redacted]"), "{text}");
    assert!(!text.contains("PRIVATE"), "{text}");
}

#[tokio::test]
async fn the_binary_serves_https_and_writes_its_ca_where_asked() {
    let dir = std::env::temp_dir().join(format!("codearts-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_codearts-emulator"))
        .args(["--listen", "127.0.0.1:0", "--tls", "--tls-ca-out"])
        .arg(&ca_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let mut said = String::new();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    while !said.contains("TLS CA certificate") {
        said.clear();
        if stderr.read_line(&mut said).unwrap() == 0 {
            break;
        }
    }
    let url = url.trim().to_owned();
    let ca = std::fs::read_to_string(&ca_path);
    let answer = match &ca {
        Ok(pem) => trusting(pem)
            .post(format!("{url}{LIST}"))
            .send()
            .await
            .map(|a| a.status().as_u16()),
        Err(_) => Ok(0),
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(
        said.contains(&ca_path.display().to_string()),
        "stderr names the CA file: {said}"
    );
    assert!(ca.unwrap().contains("BEGIN CERTIFICATE"));
    assert_eq!(answer.unwrap(), 401);
}

/// With a state directory and no `--tls-ca-out`, the CA goes into the state directory, which
/// the emulator creates if it does not exist yet.
#[tokio::test]
async fn the_ca_goes_into_a_new_state_directory() {
    let root = std::env::temp_dir().join(format!("codearts-tls-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let state_dir = root.join("not-yet").join("state");
    let mut child = Command::new(env!("CARGO_BIN_EXE_codearts-emulator"))
        .args(["--listen", "127.0.0.1:0", "--tls", "--state-dir"])
        .arg(&state_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let ca = std::fs::read_to_string(state_dir.join("ca.pem"));
    let answer = match &ca {
        Ok(pem) => trusting(pem)
            .post(format!("{}{LIST}", url.trim()))
            .send()
            .await
            .map(|a| a.status().as_u16()),
        Err(_) => Ok(0),
    };
    let _ = child.kill();
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&root);
    assert!(url.starts_with("https://"), "url `{url}`, stderr: {stderr}");
    assert!(ca.is_ok_and(|pem| pem.contains("BEGIN CERTIFICATE")));
    assert_eq!(answer.unwrap(), 401);
}
