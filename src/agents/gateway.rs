//! `GET /v1/agents/ws`: accepts the upgrade with small buffers and hands the socket to a session.
//! `?account=` (what a router places the socket by) admits only that account's agents; an
//! account this daemon does not own never gets here (`http/owner.rs` answers 421).

use super::protocol::MAX_FRAME;
use super::session::{self, Incoming, Outgoing};
use crate::domain::AccountId;
use crate::shared::Shared;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use foldhash::HashMap;
use futures::{SinkExt, StreamExt};

/// Per-socket buffers: thousands of idle agents must not cost tokio-tungstenite's defaults
/// (about 138 KiB each).
const BUFFER: usize = 4 * 1024;

/// The largest frame sent to an agent (the size tungstenite reads by default).
const MAX_OUT_FRAME: usize = 64 << 20;

pub async fn upgrade(State(s): State<Shared>, uri: Uri, ws: WebSocketUpgrade) -> Response {
    // A query that does not decode names no account (the router placed it by path alone).
    let account = Query::<HashMap<String, String>>::try_from_uri(&uri)
        .ok()
        .and_then(|Query(mut q)| q.remove("account"))
        .map(AccountId);
    ws.read_buffer_size(BUFFER)
        .write_buffer_size(BUFFER)
        // Not a memory bound: the session flushes each frame before the next, so a socket
        // holds at most one frame beyond `BUFFER`, and that frame was rendered whole anyway.
        // It is the largest frame that can be sent at all, and a welcome carries the whole
        // transcripts of the conversations the agent holds: too low, and an agent holding a
        // long conversation could never connect again.
        .max_write_buffer_size(MAX_OUT_FRAME)
        // Frames above MAX_FRAME are refused by the session with an error frame; only beyond
        // this does the connection itself fail.
        .max_message_size(16 * MAX_FRAME)
        .max_frame_size(16 * MAX_FRAME)
        .on_upgrade(move |socket| run(socket, s, account))
}

async fn run(socket: WebSocket, s: Shared, account: Option<AccountId>) {
    let metrics = s.metrics.clone();
    metrics.agent_socket(true);
    let (sink, stream) = socket.split();
    let incoming = stream
        .take_while(|m| std::future::ready(matches!(m, Ok(m) if !matches!(m, Message::Close(_)))))
        .filter_map(|m| {
            std::future::ready(match m {
                Ok(Message::Text(t)) => Some(Incoming::Text(t.to_string())),
                Ok(Message::Binary(_)) => Some(Incoming::Binary),
                _ => None,
            })
        });
    let outgoing = sink.with(|o: Outgoing| {
        std::future::ready(Ok::<_, axum::Error>(match o {
            Outgoing::Text(t) => Message::Text(t.into()),
            Outgoing::Close(code, reason) => Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })),
        }))
    });
    session::run(
        Box::pin(incoming),
        Box::pin(outgoing),
        s.engine.clone(),
        account,
        s.agent_auth_timeout,
        &s.canned,
        s.shutdown.clone(),
    )
    .await;
    metrics.agent_socket(false);
}
