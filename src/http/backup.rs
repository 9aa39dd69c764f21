//! `GET /v1/admin/backup` (admin token): one point in time of the whole store, streamed as a
//! backup file (`store::Snapshot`). The snapshot is taken before the answer starts, so a
//! failure to take it is a proper error; a failure while streaming cuts the body short, which
//! the file's checksum then betrays.

use super::admin::authorize;
use super::ApiError;
use crate::shared::Shared;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use std::io::Write;
use tokio::sync::mpsc;

/// Bytes per piece of the body.
const CHUNK: usize = 256 * 1024;
/// Pieces encoded ahead of the socket: bounds the memory a slow client costs.
const AHEAD: usize = 4;

pub async fn download(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&s, &headers)?;
    let store = s.engine.store().await?;
    let snapshot = tokio::task::spawn_blocking(move || store.snapshot())
        .await
        .map_err(|e| ApiError::Unavailable(format!("the snapshot did not finish: {e}")))?
        .map_err(|e| ApiError::Unavailable(format!("cannot read the store: {e}")))?;
    let after = snapshot.after;
    let (tx, rx) = mpsc::channel(AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut out = Chunks {
            buf: Vec::with_capacity(CHUNK),
            tx,
        };
        if let Err(e) = snapshot.write_to(&mut out) {
            // The client went away, most likely; an error item also cuts the body short.
            tracing::warn!(error = %e, "backup not sent whole");
            let _ = out.tx.blocking_send(Err(e));
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header("x-baton-backup-after", after)
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Unavailable(format!("cannot answer: {e}")))
}

/// A writer that hands its bytes to the response body a chunk at a time.
struct Chunks {
    buf: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Chunks {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(piece))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl Write for Chunks {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
