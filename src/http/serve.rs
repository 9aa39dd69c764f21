//! The accept loop and each connection's watchdog: what keeps slow or silent peers from
//! holding the port's sockets and memory.
//!
//! Every connection is in one phase at a time, each with its own deadline: reading a request
//! head (`header_timeout`, from the accept or from the first byte after a pause), reading a
//! body (`body_timeout`, from the end of the head), answering (no deadline: the handler's own
//! business), or idle between keep-alive requests (`idle_timeout`). A connection past its
//! phase's deadline is dropped, which closes it. hyper's own header timer is not used: it
//! starts as soon as hyper waits for a head, so it would also bound the keep-alive pause.
//!
//! Deadlines are on the wall clock (`std::time::Instant`), slept on with tokio: a peer's
//! slowness is real time, and a test that jumps tokio's paused clock ahead must not see the
//! keep-alive connection it is about to reuse closed under it.
//!
//! Two caps: connections (over it, a new connection is closed at once) and agent WebSockets
//! (over it, the upgrade is refused with a JSON 503). An upgraded socket keeps both its
//! permits until it closes, as it keeps its file descriptor.

use super::{ApiError, AGENT_SOCKET_PATH};
use crate::config::HttpConfig;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Notify, OwnedSemaphorePermit, Semaphore};

/// At most one log line per cap in this long, however many refusals.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// After a failed accept (most often out of file descriptors), a pause before the next: the
/// error would otherwise repeat at once, spinning a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `stop` resolves, then lets open requests finish and
/// returns once every connection is closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpConfig,
    stop: impl Future<Output = ()> + Send,
) {
    let shared = Arc::new(Server {
        router: TowerToHyperService::new(router),
        agents: Arc::new(Semaphore::new(limits.max_agent_sockets)),
        agents_refused: Refusals::new("agent sockets at max_agent_sockets: upgrades refused"),
        limits: limits.clone(),
    });
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let refused = Refusals::new("connections at max_connections: new ones closed at once");
    let failed = Refusals::new("cannot accept connections");
    let (stopping, stopped) = watch::channel(false);
    // Each connection task holds a sender: when `recv` sees none left, all have ended.
    let (done, mut all_done) = mpsc::channel::<()>(1);
    tokio::pin!(stop);
    loop {
        let (tcp, _) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    failed.note(&e.to_string());
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            refused.note("");
            drop(tcp);
            continue;
        };
        // Agent frames and webhook answers are small: without TCP_NODELAY, Nagle's algorithm
        // meeting delayed ACKs holds them back ~40 ms.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
        let conn = Connection {
            server: shared.clone(),
            watch: Arc::new(Watch::new(&limits, permit)),
            stop: stopped.clone(),
            _done: done.clone(),
        };
        tokio::spawn(conn.run(tcp));
    }
    drop(listener);
    stopping.send_replace(true);
    drop(done);
    let _ = all_done.recv().await;
}

/// What every connection shares.
struct Server {
    router: TowerToHyperService<Router>,
    agents: Arc<Semaphore>,
    agents_refused: Refusals,
    limits: HttpConfig,
}

struct Connection {
    server: Arc<Server>,
    watch: Arc<Watch>,
    stop: watch::Receiver<bool>,
    _done: mpsc::Sender<()>,
}

impl Connection {
    async fn run(mut self, tcp: TcpStream) {
        let io = TokioIo::new(Watched {
            io: tcp,
            watch: self.watch.clone(),
        });
        let (server, watch) = (self.server.clone(), self.watch.clone());
        let service =
            hyper::service::service_fn(move |req| answer(server.clone(), watch.clone(), req));
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .keep_alive(true);
        let conn = builder.serve_connection(io, service).with_upgrades();
        tokio::pin!(conn);
        let mut stopping = false;
        loop {
            let deadline = self.watch.deadline();
            tokio::select! {
                done = conn.as_mut() => {
                    if let Err(e) = done {
                        tracing::debug!(error = %e, "http connection ended");
                    }
                    return;
                }
                () = until(deadline) => {
                    if self.watch.deadline().is_some_and(|d| d <= Instant::now()) {
                        tracing::debug!("closing a connection that sent too slowly");
                        return;
                    }
                }
                () = self.watch.changed.notified() => {}
                _ = self.stop.wait_for(|s| *s), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep(d.saturating_duration_since(Instant::now())).await,
        None => std::future::pending().await,
    }
}

/// One request: counts agent sockets, then hands the request to the router.
async fn answer(
    server: Arc<Server>,
    watch: Arc<Watch>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let now = Instant::now();
    watch.set(if hyper::body::Body::is_end_stream(req.body()) {
        Phase::Busy
    } else {
        Phase::Body(now)
    });
    let agent = req.uri().path() == AGENT_SOCKET_PATH && is_websocket(req.headers());
    if agent {
        match server.agents.clone().try_acquire_owned() {
            Ok(permit) => *watch.agent() = Some(permit),
            Err(_) => {
                server.agents_refused.note("");
                let max = server.limits.max_agent_sockets;
                let refusal = ApiError::Unavailable(format!(
                    "too many agent sockets are open (max_agent_sockets = {max}); retry later"
                ));
                return Ok(tracked(refusal.into_response(), watch));
            }
        }
    }
    let req = req.map(|inner| {
        Body::new(RequestBody {
            inner,
            watch: watch.clone(),
        })
    });
    let res = match server.router.call(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    };
    if agent && res.status() != StatusCode::SWITCHING_PROTOCOLS {
        *watch.agent() = None;
    }
    Ok(tracked(res, watch))
}

fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn tracked(res: Response<Body>, watch: Arc<Watch>) -> Response<Body> {
    res.map(|inner| Body::new(ResponseBody { inner, watch }))
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Reading a request head, since then.
    Head(Instant),
    /// Reading a request body, since the end of its head.
    Body(Instant),
    /// The handler has the request.
    Busy,
    /// Between requests, since then.
    Idle(Instant),
}

/// One connection's phase, shared by its socket, its requests and its watchdog.
struct Watch {
    phase: Mutex<Phase>,
    /// Woken on each phase change, so the watchdog takes the new deadline.
    changed: Notify,
    header: Duration,
    body: Duration,
    idle: Duration,
    agent: Mutex<Option<OwnedSemaphorePermit>>,
    _connection: OwnedSemaphorePermit,
}

impl Watch {
    fn new(limits: &HttpConfig, permit: OwnedSemaphorePermit) -> Watch {
        Watch {
            phase: Mutex::new(Phase::Head(Instant::now())),
            changed: Notify::new(),
            header: limits.header_timeout,
            body: limits.body_timeout,
            idle: limits.idle_timeout,
            agent: Mutex::new(None),
            _connection: permit,
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        // Nothing can leave a phase half-written: a poisoned lock still holds a whole one.
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn agent(&self) -> MutexGuard<'_, Option<OwnedSemaphorePermit>> {
        self.agent.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, phase: Phase) {
        *self.phase() = phase;
        self.changed.notify_one();
    }

    fn deadline(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::Head(t) => Some(t + self.header),
            Phase::Body(t) => Some(t + self.body),
            Phase::Busy => None,
            Phase::Idle(t) => Some(t + self.idle),
        }
    }

    /// Bytes arrived: after a pause, they start a new request head.
    fn read_some(&self) {
        let mut phase = self.phase();
        if matches!(*phase, Phase::Idle(_)) {
            *phase = Phase::Head(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn body_read(&self) {
        let mut phase = self.phase();
        if matches!(*phase, Phase::Body(_)) {
            *phase = Phase::Busy;
        }
    }

    fn answered(&self) {
        self.set(Phase::Idle(Instant::now()));
    }
}

/// The socket, telling the watch when bytes arrive.
struct Watched {
    io: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.watch.read_some();
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A request body that ends its connection's body phase once read to the end (or failed).
struct RequestBody {
    inner: Incoming,
    watch: Arc<Watch>,
}

impl hyper::body::Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None | Some(Err(_)))) {
            this.watch.body_read();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that starts its connection's idle phase once hyper is done with it.
struct ResponseBody {
    inner: Body,
    watch: Arc<Watch>,
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        self.watch.answered();
    }
}

impl hyper::body::Body for ResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Refusals of one kind, logged at most once per `LOG_EVERY` with how many since the last
/// line: under a flood, one line rather than one per connection.
struct Refusals {
    what: &'static str,
    /// Refusals not yet logged, and when the last line was written.
    state: Mutex<(u64, Option<Instant>)>,
}

impl Refusals {
    fn new(what: &'static str) -> Refusals {
        Refusals {
            what,
            state: Mutex::new((0, None)),
        }
    }

    fn note(&self, error: &str) {
        if let Some(count) = self.count(Instant::now()) {
            if error.is_empty() {
                tracing::warn!(count, "{}", self.what);
            } else {
                tracing::warn!(count, error, "{}", self.what);
            }
        }
    }

    /// Counts one refusal at `now`; gives the count to log when a line is due.
    fn count(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
        if state
            .1
            .is_some_and(|last| now.duration_since(last) < LOG_EVERY)
        {
            return None;
        }
        let count = state.0;
        *state = (0, Some(now));
        Some(count)
    }
}

#[cfg(test)]
mod tests {
    use super::{Refusals, LOG_EVERY};
    use std::time::{Duration, Instant};

    #[test]
    fn refusals_are_logged_at_most_once_per_period_with_the_count_since_the_last_line() {
        let r = Refusals::new("test");
        let t0 = Instant::now();
        assert_eq!(r.count(t0), Some(1));
        for i in 1..=5 {
            assert_eq!(r.count(t0 + Duration::from_secs(i)), None);
        }
        assert_eq!(r.count(t0 + LOG_EVERY), Some(6));
        assert_eq!(r.count(t0 + LOG_EVERY + Duration::from_secs(1)), None);
        assert_eq!(r.count(t0 + 5 * LOG_EVERY), Some(2));
    }
}
