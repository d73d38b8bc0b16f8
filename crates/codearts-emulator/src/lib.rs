//! A local emulator of Huawei Cloud CodeArts Pipeline, CodeArts Build and IAM, for tests and
//! offline development.
//!
//! The emulator is the server-side mirror of the SDK: its state implements the facades' stub
//! traits ([`codearts_pipeline::stub::Pipeline`], [`codearts_build::stub::Build`]), and an HTTP
//! adapter generated from the same spec turns each request into the typed `<Op>Request` and
//! the typed answer back into JSON. Every one of the 235 operations answers: those without
//! modelled state answer with an empty, spec-conforming body. Requests are authenticated as
//! the cloud does it (AK/SK signatures, IAM tokens), faults can be injected per route, and
//! every request is logged.
//!
//! ```
//! use codearts_emulator::{fixture, Emulator};
//! use codearts_pipeline::model::{CreatePipelineNewRequest, PipelineDTO};
//! use codearts_pipeline::config::{AkSkCredentials, Credentials};
//! use codearts_pipeline::PipelineClient;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::builder().start().await?; // the demo account, on 127.0.0.1:0
//! let credentials = AkSkCredentials::new(fixture::DEMO_AK, fixture::DEMO_SK)?;
//! let client = PipelineClient::builder()
//!     .endpoint(emulator.url())
//!     .credentials(Credentials::AkSk(credentials))
//!     .build()?;
//! let created = client
//!     .create_pipeline_new(
//!         CreatePipelineNewRequest::new(fixture::DEMO_PROJECT_ID)
//!             .set_body(PipelineDTO::new("release", false, "{}")),
//!     )
//!     .await?;
//! assert!(created.pipeline_id.is_some());
//! assert_eq!(emulator.log().last().unwrap().op.as_deref(), Some("create_pipeline_new"));
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod adapter;
mod conn;
pub mod console;
pub mod faults;
pub mod fixture;
mod generated;
mod iam;
pub mod router;
pub mod serve;
mod server;
pub mod state;
pub mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codearts_auth::{SharedClock, SystemClock};

pub use faults::{FaultKind, FaultRule, Faults, RouteMatch};
pub use fixture::Fixture;
pub use server::{auth_codes, MAX_CLOCK_SKEW};

/// True when the emulator's state models the operation `op` (by its snake_case name): its
/// answer reflects and changes the state. The other operations answer with a generated
/// sample that has every field of the spec's response filled and change nothing.
pub fn has_state(op: &str) -> bool {
    generated::pipeline::WITH_STATE.contains(&op) || generated::build::WITH_STATE.contains(&op)
}

/// How many requests the log keeps by default: the newest 10,000 (a few MiB at most).
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

/// How many connections may be open at once by default; further clients wait in the
/// listen backlog until one closes.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// How long a request head may take by default, from its first byte (or from the accept, for
/// a connection's first request) to its last.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a kept-alive connection may sit between requests by default. Longer than common
/// clients' pool idle timeouts (reqwest: 90 s), so that they close first.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest request body read by default: 64 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 64 << 20;

/// How many bytes of bodies the emulator holds by default for requests whose sender is not
/// authenticated yet (signed requests, before the signature is checked; IAM token requests):
/// 64 MiB in all, whatever the number of such requests.
pub const DEFAULT_UNAUTHENTICATED_BODY_BUDGET: usize = 64 << 20;

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The method.
    pub method: String,
    /// The path as sent.
    pub path: String,
    /// The operation name, when the route is known.
    pub op: Option<String>,
    /// The status answered (for a reset, the status that was not delivered).
    pub status: u16,
    /// True when the state performed the operation (false for refused requests, faults hit
    /// before the operation, and operations answered with the default body).
    pub applied: bool,
    /// The injected fault, e.g. `503` or `reset-after`.
    pub fault: Option<String>,
    /// The user name of the authenticated caller.
    pub caller: Option<String>,
    /// Why the request was refused: the error code and message answered.
    pub reason: Option<String>,
    /// For a signature mismatch, the canonical request the emulator computed from what it
    /// received, to compare with the signer's.
    pub canonical_request: Option<String>,
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Default)]
pub struct EmulatorBuilder {
    fixture: Option<Fixture>,
    faults: Faults,
    clock: Option<SharedClock>,
    listen: Option<SocketAddr>,
    token_lifetime: Option<Duration>,
    log_capacity: Option<usize>,
    max_connections: Option<usize>,
    header_read_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    max_body_size: Option<usize>,
    unauthenticated_body_budget: Option<usize>,
    state_dir: Option<std::path::PathBuf>,
    console_password: Option<secrecy::SecretString>,
    tls: Option<tls::Tls>,
}

impl EmulatorBuilder {
    /// Serves HTTPS with this certificate (see [`tls::Tls::generate`]) instead of HTTP; the
    /// URL becomes `https://…`.
    pub fn tls(mut self, tls: tls::Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Accounts and seed data (default: [`Fixture::demo`]).
    pub fn fixture(mut self, fixture: Fixture) -> Self {
        self.fixture = Some(fixture);
        self
    }

    /// Fault rules (default: none).
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// The clock for signature dates, token expiry and timestamps (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// How long issued IAM tokens live (default: the fixture's, else 24 hours).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = Some(lifetime);
        self
    }

    /// How many requests the log keeps, the oldest forgotten first (default
    /// [`DEFAULT_LOG_CAPACITY`]; 0 keeps none).
    pub fn log_capacity(mut self, capacity: usize) -> Self {
        self.log_capacity = Some(capacity);
        self
    }

    /// How many connections may be open at once (default [`DEFAULT_MAX_CONNECTIONS`]; at
    /// least 1). Further clients wait in the listen backlog.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max);
        self
    }

    /// How long a request head may take (default [`DEFAULT_HEADER_READ_TIMEOUT`]); a
    /// connection whose head is not complete in time is closed.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = Some(timeout);
        self
    }

    /// How long a kept-alive connection may wait for its next request (default
    /// [`DEFAULT_IDLE_TIMEOUT`]); it is closed after that.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// The largest request body read (default [`DEFAULT_MAX_BODY_SIZE`]); a larger one is
    /// refused with 413, before it is read when its `Content-Length` says so.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// How many body bytes the emulator holds at once for requests not authenticated yet
    /// (default [`DEFAULT_UNAUTHENTICATED_BODY_BUDGET`]); beyond it such requests get 503.
    pub fn unauthenticated_body_budget(mut self, bytes: usize) -> Self {
        self.unauthenticated_body_budget = Some(bytes);
        self
    }

    /// Keeps accounts, pipelines, runs, build jobs and permissions in a SQLite database in
    /// `dir` (created when absent), read back at the next start; without it the state lives
    /// in memory only. Every change is committed before it is answered. A new directory is
    /// seeded from the fixture; an existing one keeps its objects and takes the fixture's
    /// accounts in addition to its own (see `docs/emulator.md`).
    pub fn state_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Opens the web console at `/_console` to any client that gives `password` with HTTP
    /// Basic authentication (default: no password, loopback clients only).
    pub fn console_password(mut self, password: impl Into<String>) -> Self {
        self.console_password = Some(secrecy::SecretString::from(password.into()));
        self
    }

    /// Binds the listener and serves in a background task. Fails when the state directory
    /// cannot be opened or read, or is in use by another emulator.
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        let fixture = self.fixture.unwrap_or_else(Fixture::demo);
        let clock: SharedClock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let (state, fixture) = match &self.state_dir {
            Some(dir) => state::State::open(&fixture, Arc::clone(&clock), dir)
                .map_err(std::io::Error::other)?,
            None => (state::State::new(&fixture, Arc::clone(&clock)), fixture),
        };
        let console = console::Console::new(self.console_password, fixture.accounts.clone());
        let shared = Arc::new(server::Shared {
            console,
            state: Arc::new(state),
            iam: iam::Iam::new(&fixture).with_lifetime(self.token_lifetime),
            faults: self.faults,
            clock,
            log: Mutex::new(server::RequestLog::new(
                self.log_capacity.unwrap_or(DEFAULT_LOG_CAPACITY),
            )),
            started: std::sync::atomic::AtomicU64::new(0),
            max_body: self.max_body_size.unwrap_or(DEFAULT_MAX_BODY_SIZE),
            budget: server::BodyBudget::new(
                self.unauthenticated_body_budget
                    .unwrap_or(DEFAULT_UNAUTHENTICATED_BODY_BUDGET),
            ),
        });
        let addr = self
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(server::axum_handler)
            .with_state(Arc::clone(&shared));
        let counters = Arc::new(conn::ConnCounters::default());
        let limits = conn::ConnLimits {
            max_connections: self.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS),
            header_read_timeout: self
                .header_read_timeout
                .unwrap_or(DEFAULT_HEADER_READ_TIMEOUT),
            idle_timeout: self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
        };
        let listener_counters = Arc::clone(&counters);
        let tls_config = self.tls.as_ref().map(|t| Arc::clone(&t.config));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<conn::KillSwitch>();
            let mut listener = conn::ResettableListener::new(listener, listener_counters, limits);
            if let Some(config) = tls_config {
                listener = listener.with_tls(config);
            }
            let served = axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the emulator stopped");
            }
        });
        Ok(EmulatorHandle {
            addr: local,
            tls: self.tls,
            shared,
            counters,
            stop: Mutex::new(Some(stop)),
            task: Mutex::new(Some(task)),
        })
    }
}

/// What [`EmulatorHandle::connections`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Connections accepted since the start.
    pub accepted: u64,
    /// Connections open now.
    pub open: u64,
    /// The most connections open at once.
    pub peak_open: u64,
}

/// What [`EmulatorHandle::unauthenticated_bodies`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyStats {
    /// Body bytes held now for requests not authenticated yet.
    pub buffered: usize,
    /// The most such bytes held at once.
    pub peak_buffered: usize,
    /// Requests refused (503) because the budget could not hold their body.
    pub refused: u64,
}

/// The emulator: [`Emulator::builder`] starts one.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder with the demo account, no faults and the system clock.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// A running emulator.
pub struct EmulatorHandle {
    addr: SocketAddr,
    tls: Option<tls::Tls>,
    shared: Arc<server::Shared>,
    counters: Arc<conn::ConnCounters>,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// The base URL, e.g. `http://127.0.0.1:40123` (`https://` with TLS): the endpoint of
    /// both services and IAM.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// With TLS, the CA certificate (PEM) clients must trust.
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(tls::Tls::ca_pem)
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far, open now, and the most open at once.
    pub fn connections(&self) -> ConnectionStats {
        use std::sync::atomic::Ordering::SeqCst;
        ConnectionStats {
            accepted: self.counters.accepted.load(SeqCst),
            open: self.counters.open.load(SeqCst),
            peak_open: self.counters.peak_open.load(SeqCst),
        }
    }

    /// The memory held for bodies of requests whose sender is not authenticated yet.
    pub fn unauthenticated_bodies(&self) -> BodyStats {
        let (buffered, peak_buffered, refused) = self.shared.budget.stats();
        BodyStats {
            buffered,
            peak_buffered,
            refused,
        }
    }

    /// The newest requests (up to the log's capacity), in the order they finished.
    pub fn log(&self) -> Vec<LogEntry> {
        self.shared
            .log
            .lock()
            .map(|l| l.entries.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets the request log (not [`EmulatorHandle::requests_seen`]).
    pub fn clear_log(&self) {
        if let Ok(mut l) = self.shared.log.lock() {
            l.entries.clear();
        }
    }

    /// How many requests the emulator has answered since it started, logged or not.
    pub fn requests_seen(&self) -> u64 {
        self.shared.log.lock().map(|l| l.seen).unwrap_or(0)
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn shutdown(&self) {
        let stop = self.stop.lock().ok().and_then(|mut s| s.take());
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }

    /// Serves until the server task ends (after [`EmulatorHandle::shutdown`] from elsewhere).
    pub async fn wait(&self) {
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.lock().ok().and_then(|mut s| s.take()) {
            let _ = stop.send(());
        }
    }
}
