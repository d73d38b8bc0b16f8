//! A hand-written fake HTTP client that records requests and answers from a script.
#![allow(dead_code)]

pub mod server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use codearts_transport::{clone_request, Body, Error, HttpClient, Request, Response};
use tokio::sync::Notify;

type Responder = dyn Fn(usize, &Request) -> Response + Send + Sync;

pub struct Fake {
    calls: AtomicUsize,
    requests: Mutex<Vec<Request>>,
    respond: Box<Responder>,
    gate: Option<Arc<Notify>>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fake")
    }
}

impl Fake {
    /// Answers call `n` (from 0) with `respond(n, request)`.
    pub fn new(respond: impl Fn(usize, &Request) -> Response + Send + Sync + 'static) -> Self {
        Fake {
            calls: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            respond: Box::new(respond),
            gate: None,
        }
    }

    /// Holds every answer until `gate` is notified.
    pub fn gated(mut self, gate: Arc<Notify>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(clone_request)
            .collect()
    }
}

#[async_trait]
impl HttpClient for Fake {
    async fn send(&self, request: Request) -> Result<Response, Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.requests.lock().unwrap().push(clone_request(&request));
        if let Some(gate) = &self.gate {
            gate.notified().await;
        }
        Ok((self.respond)(n, &request))
    }
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    let mut builder = http::Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

/// An IAM token answer: token `token`, expiring at `expires_at` (RFC 3339).
pub fn iam_ok(token: &str, expires_at: &str) -> Response {
    response(
        201,
        &[
            ("X-Subject-Token", token),
            ("Content-Type", "application/json"),
        ],
        &format!(
            r#"{{"token":{{"expires_at":"{expires_at}","methods":["password"],"issued_at":"2026-11-22T14:06:21.000000Z"}}}}"#
        ),
    )
}
