//! The listener: a bounded number of connections, each closed when a request head takes too
//! long or when it sits idle too long, and each resettable by a handler (the `reset` fault).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How long connections may wait, and how many may be open.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnLimits {
    /// Most connections open at once; further clients wait in the listen backlog.
    pub(crate) max_connections: usize,
    /// From a request's first byte (or a new connection's accept) to its complete head.
    pub(crate) header_read_timeout: Duration,
    /// Between two requests on a kept-alive connection, with nothing moving.
    pub(crate) idle_timeout: Duration,
}

/// Where a connection is: waiting for a request, reading its head, or handling it.
const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;

/// The state a connection shares with the handlers of its requests.
#[derive(Debug)]
pub(crate) struct ConnState {
    kill: AtomicBool,
    phase: AtomicU8,
    /// When the current phase's clock started, in milliseconds since `epoch`.
    since_ms: AtomicU64,
    epoch: Instant,
}

impl ConnState {
    fn new() -> Self {
        ConnState {
            kill: AtomicBool::new(false),
            // A new connection owes its first head within the header timeout.
            phase: AtomicU8::new(HEAD),
            since_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn enter(&self, phase: u8) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(ms, Ordering::SeqCst);
        self.phase.store(phase, Ordering::SeqCst);
    }

    /// When the current phase runs out, if it can.
    fn deadline(&self, limits: &ConnLimits) -> Option<Instant> {
        let timeout = match self.phase.load(Ordering::SeqCst) {
            IDLE => limits.idle_timeout,
            HEAD => limits.header_read_timeout,
            _ => return None,
        };
        let since = Duration::from_millis(self.since_ms.load(Ordering::SeqCst));
        Some(self.epoch + since + timeout)
    }
}

/// Counts of the connections the emulator accepted.
#[derive(Debug, Default)]
pub(crate) struct ConnCounters {
    pub(crate) accepted: AtomicU64,
    pub(crate) open: AtomicU64,
    pub(crate) peak_open: AtomicU64,
}

/// Accepts TCP connections wrapped in [`Resettable`], at most `limits.max_connections` at once.
pub(crate) struct ResettableListener {
    pub(crate) listener: TcpListener,
    pub(crate) counters: Arc<ConnCounters>,
    pub(crate) limits: ConnLimits,
    pub(crate) slots: Arc<Semaphore>,
    tls: Option<TlsHandshakes>,
}

impl std::fmt::Debug for ResettableListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResettableListener")
            .field("listener", &self.listener)
            .field("limits", &self.limits)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// TLS handshakes run in their own tasks, so a slow client holds only its own connection
/// slot (its handshake reads run under the head timeout), never the accept loop.
struct TlsHandshakes {
    acceptor: tokio_rustls::TlsAcceptor,
    done_tx: tokio::sync::mpsc::UnboundedSender<(Conn, SocketAddr)>,
    done_rx: tokio::sync::mpsc::UnboundedReceiver<(Conn, SocketAddr)>,
}

impl ResettableListener {
    pub(crate) fn new(
        listener: TcpListener,
        counters: Arc<ConnCounters>,
        limits: ConnLimits,
    ) -> Self {
        ResettableListener {
            listener,
            counters,
            limits,
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            tls: None,
        }
    }

    /// Serves HTTPS with `config` instead of plain HTTP.
    pub(crate) fn with_tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel();
        self.tls = Some(TlsHandshakes {
            acceptor: tokio_rustls::TlsAcceptor::from(config),
            done_tx,
            done_rx,
        });
        self
    }

    /// The next TCP connection, under the connection limit.
    async fn accept_tcp(
        listener: &TcpListener,
        slots: &Arc<Semaphore>,
        counters: &Arc<ConnCounters>,
        limits: ConnLimits,
    ) -> (Resettable, SocketAddr) {
        let slot = loop {
            match Arc::clone(slots).acquire_owned().await {
                Ok(slot) => break slot,
                Err(_) => std::future::pending::<()>().await,
            }
        };
        loop {
            match listener.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let counters = Arc::clone(counters);
                    counters.accepted.fetch_add(1, Ordering::SeqCst);
                    let open = counters.open.fetch_add(1, Ordering::SeqCst) + 1;
                    counters.peak_open.fetch_max(open, Ordering::SeqCst);
                    return (
                        Resettable {
                            stream,
                            state: Arc::new(ConnState::new()),
                            counters,
                            limits,
                            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
                            timer_at: None,
                            _slot: slot,
                        },
                        addr,
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

impl axum::serve::Listener for ResettableListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let Some(tls) = &mut self.tls else {
            let (conn, addr) =
                Self::accept_tcp(&self.listener, &self.slots, &self.counters, self.limits).await;
            return (Conn::Plain(conn), addr);
        };
        loop {
            // Both branches are cancel-safe: an unfinished accept or slot wait is retried.
            tokio::select! {
                done = tls.done_rx.recv() => {
                    if let Some(done) = done {
                        return done;
                    }
                }
                (conn, addr) = Self::accept_tcp(&self.listener, &self.slots, &self.counters, self.limits) => {
                    let acceptor = tls.acceptor.clone();
                    let done_tx = tls.done_tx.clone();
                    tokio::spawn(async move {
                        match acceptor.accept(conn).await {
                            Ok(stream) => {
                                let _ = done_tx.send((Conn::Tls(Box::new(stream)), addr));
                            }
                            Err(e) => tracing::debug!(error = %e, %addr, "TLS handshake failed"),
                        }
                    });
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// A connection that fails every read and write once its kill switch is set (it is then
/// dropped with `SO_LINGER` 0, so the peer sees a reset), and whose reads fail with
/// `TimedOut` when a head or an idle wait outlasts its limit, which makes hyper close it.
#[derive(Debug)]
pub(crate) struct Resettable {
    stream: TcpStream,
    state: Arc<ConnState>,
    counters: Arc<ConnCounters>,
    limits: ConnLimits,
    timer: Pin<Box<Sleep>>,
    timer_at: Option<Instant>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Resettable {
    fn drop(&mut self) {
        self.counters.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Resettable {
    fn killed(&self) -> Option<io::Error> {
        if self.state.kill.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
            Some(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "reset by an injected fault",
            ))
        } else {
            None
        }
    }
}

impl AsyncRead for Resettable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                // The first byte of a request starts its head's clock.
                if buf.filled().len() > before && self.state.phase.load(Ordering::SeqCst) == IDLE {
                    self.state.enter(HEAD);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => {
                let Some(deadline) = self.state.deadline(&self.limits) else {
                    return Poll::Pending;
                };
                if self.timer_at != Some(deadline) {
                    self.timer.as_mut().reset(deadline);
                    self.timer_at = Some(deadline);
                }
                match self.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request head or the idle wait took too long",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            other => other,
        }
    }
}

impl AsyncWrite for Resettable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        // An answer still being written is not idleness.
        if matches!(written, Poll::Ready(Ok(n)) if n > 0)
            && self.state.phase.load(Ordering::SeqCst) == IDLE
        {
            self.state.enter(IDLE);
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.killed() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A connection as served: plain, or TLS over the same resettable, time-limited stream.
#[derive(Debug)]
pub(crate) enum Conn {
    Plain(Resettable),
    Tls(Box<tokio_rustls::server::TlsStream<Resettable>>),
}

impl Conn {
    fn state(&self) -> &Arc<ConnState> {
        match self {
            Conn::Plain(r) => &r.state,
            Conn::Tls(t) => &t.get_ref().0.state,
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(r) => Pin::new(r).poll_read(cx, buf),
            Conn::Tls(t) => Pin::new(t.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(r) => Pin::new(r).poll_write(cx, buf),
            Conn::Tls(t) => Pin::new(t.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(r) => Pin::new(r).poll_flush(cx),
            Conn::Tls(t) => Pin::new(t.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(r) => Pin::new(r).poll_shutdown(cx),
            Conn::Tls(t) => Pin::new(t.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The connection a request arrived on, as its handler sees it.
#[derive(Debug, Clone)]
pub(crate) struct KillSwitch(Arc<ConnState>, std::net::SocketAddr);

impl KillSwitch {
    /// The client's address (the console serves loopback clients only, unless it has a
    /// password).
    pub(crate) fn peer(&self) -> std::net::SocketAddr {
        self.1
    }

    /// Resets the connection at its next read or write.
    pub(crate) fn kill(&self) {
        self.0.kill.store(true, Ordering::SeqCst);
    }

    /// The head has arrived: no connection timeout runs while the request is handled.
    pub(crate) fn busy(&self) {
        self.0.enter(BUSY);
    }

    /// The answer is ready: the idle clock starts (and restarts while it is written).
    pub(crate) fn idle(&self) {
        self.0.enter(IDLE);
    }
}

impl Connected<IncomingStream<'_, ResettableListener>> for KillSwitch {
    fn connect_info(stream: IncomingStream<'_, ResettableListener>) -> Self {
        KillSwitch(Arc::clone(stream.io().state()), *stream.remote_addr())
    }
}
