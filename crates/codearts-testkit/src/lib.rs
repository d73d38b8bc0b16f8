//! Test support for codearts-rs: a loopback HTTP server that records every request it gets
//! and answers from a queue of scripted replies.
//!
//! It speaks just enough HTTP/1.1 for our clients (one request per connection, bodies with
//! `Content-Length`), so tests need no web framework and start in microseconds.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use codearts_testkit::{Reply, TestServer};
//!
//! let server = TestServer::start().await;
//! server.reply(Reply::json(200, r#"{"success":true}"#));
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! # }
//! ```
#![warn(missing_docs)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub mod coverage;
mod recorded;

pub use recorded::{Part, Recorded};

/// The AK the signed test clients use.
pub const TEST_AK: &str = "TESTAK";
/// The SK the signed test clients use.
pub const TEST_SK: &str = "TESTSK";

/// The largest request head the server reads.
const MAX_HEAD: usize = 64 * 1024;

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides `Content-Length` and `Connection`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: &str) -> Self {
        Reply::bytes(status, "application/json", body.as_bytes().to_vec())
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Self {
        Reply::bytes(status, "text/plain", body.as_bytes().to_vec())
    }

    /// An answer with any content type.
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

#[derive(Default)]
struct State {
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
}

/// A loopback HTTP server for one test.
pub struct TestServer {
    url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Binds an ephemeral port on 127.0.0.1 and starts serving.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        TestServer { url, state, task }
    }

    /// The server's base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Queues a reply; replies are used in order. With none queued the server answers 599.
    pub fn reply(&self, reply: Reply) {
        self.lock().replies.push_back(reply);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The one request received; panics if there were none or several.
    pub fn single_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {}",
            requests.len()
        );
        requests.into_iter().next().expect("one request")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return Ok(());
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let reply = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .requests
            .push(Recorded::new(method, &target, headers, body));
        state
            .replies
            .pop_front()
            .unwrap_or_else(|| Reply::text(599, "no reply queued"))
    };
    let mut out = format!("HTTP/1.1 {} Scripted\r\n", reply.status);
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    stream.write_all(out.as_bytes()).await?;
    stream.write_all(&reply.body).await?;
    stream.shutdown().await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A client of service `C` pointed at `server`, signing with [`TEST_AK`]/[`TEST_SK`].
///
/// Retries are off, so each call is one request and scripted replies map one to one to calls.
pub fn signed_client<C: codearts_runtime::ServiceClient>(server: &TestServer) -> C {
    let credentials =
        codearts_auth::AkSkCredentials::new(TEST_AK, TEST_SK).expect("test credentials");
    codearts_runtime::ClientBuilder::<C>::new()
        .endpoint(server.url())
        .credentials(codearts_auth::Credentials::AkSk(credentials))
        .retry(codearts_transport::RetryConfig::disabled())
        .build()
        .expect("a client for the test server")
}
