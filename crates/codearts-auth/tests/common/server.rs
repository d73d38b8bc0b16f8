//! A loopback HTTP/1.1 server for tests: records every request, answers with a script.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Everything received, as text, to search for secrets.
    pub fn everything(&self) -> String {
        let mut text = format!("{} {}\n", self.method, self.target);
        for (k, v) in &self.headers {
            text.push_str(&format!("{k}: {v}\n"));
        }
        text.push_str(&String::from_utf8_lossy(&self.body));
        text
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Status, headers, body.
    Reply(u16, Vec<(String, String)>, Vec<u8>),
    /// Headers announcing `len` bytes, then one byte every `every`.
    Trickle(u16, usize, Duration),
}

pub fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    Answer::Reply(
        status,
        headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body.as_bytes().to_vec(),
    )
}

type Script = dyn Fn(&Seen) -> Answer + Send + Sync;

pub struct Server {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start(script: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let shared = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = shared.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, seen, script).await;
                });
            }
        });
        Server { url, seen, task }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Script>,
) -> std::io::Result<()> {
    loop {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_owned();
        let target = first.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
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
        let request = Seen {
            method,
            target,
            headers,
            body,
        };
        let answer = script(&request);
        seen.lock().unwrap().push(request);
        match answer {
            Answer::Reply(status, headers, body) => {
                let mut out = format!("HTTP/1.1 {status} Scripted\r\n");
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                stream.write_all(out.as_bytes()).await?;
                stream.write_all(&body).await?;
            }
            Answer::Trickle(status, len, every) => {
                let out = format!(
                    "HTTP/1.1 {status} Trickle\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
                );
                stream.write_all(out.as_bytes()).await?;
                for _ in 0..len {
                    tokio::time::sleep(every).await;
                    stream.write_all(b" ").await?;
                }
            }
        }
    }
}
