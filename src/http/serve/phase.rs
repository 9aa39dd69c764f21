//! One connection's phase and the wrappers that move it: the socket (bytes arrive), the
//! request body (read to the end) and the response body (done with).

use crate::config::HttpConfig;
use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit};

#[derive(Debug, Clone, Copy)]
pub(super) enum Phase {
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
pub(super) struct Watch {
    phase: Mutex<Phase>,
    /// Woken on each phase change, so the watchdog takes the new deadline.
    pub(super) changed: Notify,
    header: Duration,
    body: Duration,
    idle: Duration,
    agent: Mutex<Option<OwnedSemaphorePermit>>,
    _connection: OwnedSemaphorePermit,
}

impl Watch {
    pub(super) fn new(limits: &HttpConfig, permit: OwnedSemaphorePermit) -> Watch {
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

    pub(super) fn agent(&self) -> MutexGuard<'_, Option<OwnedSemaphorePermit>> {
        self.agent.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set(&self, phase: Phase) {
        *self.phase() = phase;
        self.changed.notify_one();
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
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
pub(super) struct Watched {
    pub(super) io: TcpStream,
    pub(super) watch: Arc<Watch>,
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
pub(super) struct RequestBody {
    pub(super) inner: Incoming,
    pub(super) watch: Arc<Watch>,
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
pub(super) struct ResponseBody {
    pub(super) inner: Body,
    pub(super) watch: Arc<Watch>,
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
