//! One agent socket's conversation: authenticate first, then take frames until it closes.
//!
//! Generic over a stream of [`Incoming`] and a sink of [`Outgoing`], so it knows nothing of
//! the WebSocket library. A bad frame gets an `error` frame and the connection stays up; a
//! flood of them (more than `FLOOD_LIMIT` in `FLOOD_WINDOW`) closes it with 1008.

use super::protocol::{self, ClientFrame, ServerFrame};
use crate::engine::EngineHandle;
use crate::shutdown::Shutdown;
use futures::{Sink, SinkExt, Stream, StreamExt};
use std::time::Duration;
use tokio::time::Instant;

/// A frame from the client, as far as the session cares.
#[derive(Debug)]
pub enum Incoming {
    Text(String),
    Binary,
}

/// A frame for the client.
#[derive(Debug)]
pub enum Outgoing {
    Text(String),
    Close(u16, &'static str),
}

pub const CLOSE_UNAUTHORIZED: u16 = 4401;
pub const CLOSE_POLICY: u16 = 1008;
pub const CLOSE_GOING_AWAY: u16 = 1001;
const FLOOD_LIMIT: usize = 20;
const FLOOD_WINDOW: Duration = Duration::from_secs(10);

pub async fn run<I, O>(
    mut incoming: I,
    mut out: O,
    engine: EngineHandle,
    auth_timeout: Duration,
    mut shutdown: Shutdown,
) where
    I: Stream<Item = Incoming> + Unpin,
    O: Sink<Outgoing> + Unpin,
{
    let first = tokio::time::timeout(auth_timeout, incoming.next()).await;
    let token = match first {
        Err(_) => {
            let _ = out.send(close_unauthorized("no auth frame in time")).await;
            return;
        }
        Ok(None) => return,
        Ok(Some(Incoming::Text(text))) => match protocol::parse(&text) {
            Ok(ClientFrame::Auth { token, .. }) => token,
            Ok(_) => {
                return refuse(
                    &mut out,
                    ServerFrame::error("auth_required", "the first frame must be auth"),
                )
                .await
            }
            Err(e) => return refuse(&mut out, e.into()).await,
        },
        Ok(Some(Incoming::Binary)) => {
            return refuse(
                &mut out,
                ServerFrame::error("auth_required", "the first frame must be auth"),
            )
            .await
        }
    };
    let token_sha256 = crate::http::hash_token(&token);
    let Ok(Some((agent, presence))) = engine.agent_connect(token_sha256).await else {
        return refuse(
            &mut out,
            ServerFrame::error("unauthorized", "unknown or revoked token"),
        )
        .await;
    };
    let id = agent.id;
    tracing::info!(agent = %id, "agent connected");
    let welcome = ServerFrame::Welcome {
        profile: agent.profile.clone(),
        agent,
        presence,
        conversations: Vec::new(),
    };
    if out.send(Outgoing::Text(welcome.to_text())).await.is_ok() {
        serve(&mut incoming, &mut out, &engine, id, &mut shutdown).await;
    }
    engine.agent_disconnect(id).await;
    tracing::info!(agent = %id, "agent disconnected");
}

fn close_unauthorized(why: &'static str) -> Outgoing {
    Outgoing::Close(CLOSE_UNAUTHORIZED, why)
}

async fn refuse<O: Sink<Outgoing> + Unpin>(out: &mut O, error: ServerFrame) {
    let _ = out.send(Outgoing::Text(error.to_text())).await;
    let _ = out.send(close_unauthorized("authentication failed")).await;
}

async fn serve<I, O>(
    incoming: &mut I,
    out: &mut O,
    engine: &EngineHandle,
    id: crate::domain::AgentId,
    shutdown: &mut Shutdown,
) where
    I: Stream<Item = Incoming> + Unpin,
    O: Sink<Outgoing> + Unpin,
{
    let mut bad: Vec<Instant> = Vec::new();
    loop {
        let frame = tokio::select! {
            f = incoming.next() => f,
            _ = shutdown.wait() => {
                let _ = out.send(Outgoing::Close(CLOSE_GOING_AWAY, "baton is stopping")).await;
                return;
            }
        };
        let Some(frame) = frame else { return };
        let parsed = match frame {
            Incoming::Text(text) => protocol::parse(&text).map_err(ServerFrame::from),
            Incoming::Binary => Err(ServerFrame::error("invalid_frame", "frames are JSON text")),
        };
        let reply = match parsed {
            Ok(frame) => answer(frame, engine, id).await,
            Err(error) => {
                let now = Instant::now();
                bad.retain(|t| now.duration_since(*t) < FLOOD_WINDOW);
                bad.push(now);
                if bad.len() > FLOOD_LIMIT {
                    let _ = out
                        .send(Outgoing::Close(CLOSE_POLICY, "too many bad frames"))
                        .await;
                    return;
                }
                Some(error)
            }
        };
        if let Some(reply) = reply {
            if out.send(Outgoing::Text(reply.to_text())).await.is_err() {
                return;
            }
        }
    }
}

/// What a well-formed frame leads to. Nothing is assigned to anyone yet (routing and offers
/// come next), so every conversation frame is refused and changes nothing.
async fn answer(
    frame: ClientFrame,
    engine: &EngineHandle,
    id: crate::domain::AgentId,
) -> Option<ServerFrame> {
    if let Some(conversation) = frame.conversation() {
        return Some(ServerFrame::Error {
            code: "not_assigned",
            message: format!("conversation {conversation} is not assigned to you"),
            reference: Some(conversation.to_string()),
        });
    }
    match frame {
        ClientFrame::Auth { .. } => Some(ServerFrame::error(
            "already_authenticated",
            "this connection is already authenticated",
        )),
        ClientFrame::Presence { status } => {
            engine.agent_presence(id, status).await;
            None
        }
        // No event carries a sequence number yet, so there is nothing to acknowledge.
        _ => None,
    }
}
