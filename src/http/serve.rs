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

mod phase;

use super::guard::Guarded;
use super::{ApiError, AGENT_SOCKET_PATH};
use crate::config::HttpConfig;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, Response, StatusCode};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use phase::{Phase, RequestBody, ResponseBody, Watch, Watched};
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Semaphore};

/// At most one log line per cap in this long, however many refusals.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// After a failed accept (most often out of file descriptors), a pause before the next: the
/// error would otherwise repeat at once, spinning a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `stop` resolves, then lets open requests finish and
/// returns once every connection is closed.
pub async fn serve(
    listener: TcpListener,
    app: Guarded,
    limits: HttpConfig,
    metrics: crate::metrics::Metrics,
    stop: impl Future<Output = ()> + Send,
) {
    let shared = Arc::new(Server {
        metrics: metrics.clone(),
        app,
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
            metrics.http_refused(crate::metrics::HttpCap::Connections);
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
    app: Guarded,
    agents: Arc<Semaphore>,
    agents_refused: Refusals,
    limits: HttpConfig,
    metrics: crate::metrics::Metrics,
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

/// One request: counts agent sockets, then hands the request to the app.
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
                (server.metrics).http_refused(crate::metrics::HttpCap::AgentSockets);
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
    let res = server.app.answer(req).await;
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
