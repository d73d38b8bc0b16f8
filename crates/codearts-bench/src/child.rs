//! Starting the server children and asking them for their counters.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use crate::serve::STATS_PATH;

/// A server running in a child process; dropping it closes its input, which ends it.
pub struct ServerChild {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerChild {
    /// Starts `codearts-bench serve <kind>` and waits for its address.
    pub fn start(kind: &str) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
        let mut child = Command::new(exe)
            .args(["serve", kind])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start the {kind} server: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("{kind} server: {e}"))?;
        let addr = line
            .trim()
            .strip_prefix("LISTEN ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("the {kind} server did not start (said {line:?})"))?;
        Ok(ServerChild { child, stdin, addr })
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The minimal server's counters and captured headers (opens one connection itself).
    pub fn minimal_stats(&self) -> Result<MinimalStats, String> {
        let mut stream = TcpStream::connect(self.addr).map_err(|e| format!("stats: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        write!(
            stream,
            "GET {STATS_PATH} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .map_err(|e| format!("stats: {e}"))?;
        let mut text = String::new();
        stream
            .read_to_string(&mut text)
            .map_err(|e| format!("stats: {e}"))?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("stats: {e}: {body:?}"))?;
        let headers = value["headers"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|pair| {
                        Some((
                            pair.get(0)?.as_str()?.to_owned(),
                            pair.get(1)?.as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(MinimalStats {
            accepts: value["accepts"].as_u64().unwrap_or(0),
            requests: value["requests"].as_u64().unwrap_or(0),
            headers,
        })
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // It exits on end of input; make sure of it without waiting long.
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the minimal server has counted.
#[derive(Debug, Clone, Default)]
pub struct MinimalStats {
    /// Connections accepted, the stats connections included.
    pub accepts: u64,
    /// Operation requests answered.
    pub requests: u64,
    /// The headers of the first request since the previous look.
    pub headers: Vec<(String, String)>,
}
