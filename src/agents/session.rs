//! One agent socket's conversation: authenticate first, then take frames until it closes.
//!
//! Generic over a stream of [`Incoming`] and a sink of [`Outgoing`], so it knows nothing of
//! the WebSocket library. A bad frame gets an `error` frame and the connection stays up; a
//! flood of them (more than `FLOOD_LIMIT` in `FLOOD_WINDOW`) closes it with 1008.
//!
//! Nothing here grows with what the client leaves unread: the engine's channel is bounded, and
//! a socket that falls that far behind is cut off by the engine; the session then sends an
//! `error` frame (`too_slow`) and closes with [`CLOSE_TOO_SLOW`], each given at most
//! [`GOODBYE_WITHIN`] (a client that reads nothing would block them forever). The client
//! resumes with `resume_after` and gets every kept event, read from the store page by page.

use super::protocol::{self, ClientFrame, ServerFrame};
use super::render::render;
use crate::domain::{AccountId, AgentId, ConversationId, Input, MessageId, TransferTo};
use crate::engine::{Connected, Cut, EngineHandle, NotAdmitted, Revoked, ToAgent};
use crate::rules::Canned;
use crate::shutdown::Shutdown;
use foldhash::HashMap;
use futures::{Sink, SinkExt, Stream, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
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
/// The client read too slowly: reconnect with `resume_after`.
pub const CLOSE_TOO_SLOW: u16 = 4408;
/// The agent was disabled or removed, or its token replaced: this token no longer works.
pub const CLOSE_REVOKED: u16 = 4403;
/// How long a cut-off socket's `error` frame and close may take before it is dropped.
const GOODBYE_WITHIN: Duration = Duration::from_secs(10);
const FLOOD_LIMIT: usize = 20;
const FLOOD_WINDOW: Duration = Duration::from_secs(10);

/// Each account's canned replies, told in its agents' `welcome`; a reload replaces them all at
/// once, and a socket welcomed after it gets the new ones.
#[derive(Debug, Default)]
pub struct CannedReplies(std::sync::RwLock<HashMap<AccountId, Arc<[Canned]>>>);

impl CannedReplies {
    /// Each account's canned replies as its agents see them (the templates' account and bot
    /// names filled in), in place of the ones before.
    pub fn set(&self, accounts: &[crate::domain::Account]) {
        let map = accounts
            .iter()
            .map(|a| {
                let canned = a.rules.canned.iter();
                let canned = canned.map(|c| c.for_account(&a.name, &a.bot.name));
                (a.id.clone(), canned.collect())
            })
            .collect();
        // A poisoned lock only means a panic elsewhere mid-write of a whole map: replace it.
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = map;
    }

    pub fn get(&self, account: &AccountId) -> Arc<[Canned]> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        map.get(account).cloned().unwrap_or_else(|| Arc::new([]))
    }
}

/// `account`: the one the socket was opened for (`?account=`), if it named one; only that
/// account's agents are admitted.
pub async fn run<I, O>(
    mut incoming: I,
    mut out: O,
    engine: EngineHandle,
    account: Option<AccountId>,
    auth_timeout: Duration,
    canned: &CannedReplies,
    mut shutdown: Shutdown,
) where
    I: Stream<Item = Incoming> + Unpin,
    O: Sink<Outgoing> + Unpin,
{
    let first = tokio::time::timeout(auth_timeout, incoming.next()).await;
    let token = match first {
        Err(_) => {
            tracing::info!("agent authentication failed: no auth frame in time");
            let _ = out.send(close_unauthorized("no auth frame in time")).await;
            return;
        }
        Ok(None) => return,
        Ok(Some(Incoming::Text(text))) => match protocol::parse(&text) {
            Ok(ClientFrame::Auth {
                token,
                resume_after,
            }) => (token, resume_after),
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
    let (token, resume_after) = token;
    let token_sha256 = super::token::sha256(&token);
    let connected = match engine
        .agent_connect(token_sha256, resume_after, account)
        .await
    {
        Ok(Ok(connected)) => connected,
        Ok(Err(NotAdmitted::OtherAccount)) => {
            tracing::info!("agent authentication failed: the token is another account's");
            return refuse(
                &mut out,
                ServerFrame::error(
                    "wrong_account",
                    "this token is an agent's of another account than the socket's ?account=",
                ),
            )
            .await;
        }
        Ok(Err(NotAdmitted::UnknownToken)) | Err(_) => {
            // Neither the token nor its hash: a log is no place for either.
            tracing::info!("agent authentication failed: unknown or revoked token");
            return refuse(
                &mut out,
                ServerFrame::error("unauthorized", "unknown or revoked token"),
            )
            .await;
        }
    };
    let Connected {
        agent,
        presence,
        session,
        mut told,
        mut kicked,
        conversations,
        replay,
    } = connected;
    let me = Me {
        id: agent.id,
        session,
    };
    tracing::info!(agent = %me.id, session, "agent connected");
    let canned = canned.get(&agent.account);
    let welcome = ServerFrame::welcome(&agent, presence, &conversations, &canned);
    drop(conversations);
    let talk = async {
        if out.send(Outgoing::Text(welcome.to_text())).await.is_err() {
            return;
        }
        if let Some((after, upto)) = replay {
            if !resume(&mut out, &engine, me, after, upto).await {
                return;
            }
        }
        serve(
            &mut incoming,
            &mut out,
            &mut told,
            &engine,
            me,
            &mut shutdown,
        )
        .await;
    };
    // The engine cut this socket off. (Dropped unfired, the engine is stopping: the session
    // ends as usual then, with 1001.)
    let cut_off = tokio::select! {
        () = talk => None,
        Ok(cut) = &mut kicked => Some(cut),
    };
    // The engine hears of it first: the socket is no longer the agent's, whatever the goodbye
    // below takes.
    engine.agent_disconnect(me.id, me.session).await;
    if let Some(cut) = cut_off {
        drop(told);
        let (code, message, close, why) = match cut {
            Cut::TooSlow => {
                tracing::warn!(agent = %me.id, session, "agent socket too slow; closing it");
                (
                    "too_slow",
                    "too many events unread; reconnect with resume_after",
                    CLOSE_TOO_SLOW,
                    "too slow; resume",
                )
            }
            Cut::Revoked(why) => {
                let (code, message) = revoked(why);
                (code, message, CLOSE_REVOKED, "token revoked")
            }
        };
        let error = ServerFrame::error(code, message);
        let goodbye = async {
            if out.send(Outgoing::Text(error.to_text())).await.is_ok() {
                let _ = out.send(Outgoing::Close(close, why)).await;
            }
        };
        let _ = tokio::time::timeout(GOODBYE_WITHIN, goodbye).await;
    }
    tracing::info!(agent = %me.id, session, "agent disconnected");
}

/// Sends the kept events numbered above `after` and up to `upto`, a page at a time; `false`
/// if the socket or the engine went away.
async fn resume<O>(out: &mut O, engine: &EngineHandle, me: Me, after: u64, upto: u64) -> bool
where
    O: Sink<Outgoing> + Unpin,
{
    let mut after = after;
    while after < upto {
        let Ok(page) = engine.agent_replay(me.id, after, upto).await else {
            return false;
        };
        let Some(&(last, _)) = page.last() else {
            return true;
        };
        for (_, item) in &page {
            if out.send(Outgoing::Text(render(item))).await.is_err() {
                return false;
            }
        }
        after = last;
    }
    true
}

/// The `error` frame's code and message for a socket whose token an admin revoked.
fn revoked(why: Revoked) -> (&'static str, &'static str) {
    match why {
        Revoked::Disabled => ("agent_disabled", "an admin disabled this agent"),
        Revoked::Removed => ("agent_removed", "an admin removed this agent"),
        Revoked::TokenRotated => (
            "token_rotated",
            "this agent's token was replaced; connect with the new one",
        ),
    }
}

fn close_unauthorized(why: &'static str) -> Outgoing {
    Outgoing::Close(CLOSE_UNAUTHORIZED, why)
}

async fn refuse<O: Sink<Outgoing> + Unpin>(out: &mut O, error: ServerFrame) {
    tracing::debug!("agent socket closed before it authenticated");
    let _ = out.send(Outgoing::Text(error.to_text())).await;
    let _ = out.send(close_unauthorized("authentication failed")).await;
}

/// Who this socket is.
#[derive(Debug, Clone, Copy)]
struct Me {
    id: crate::domain::AgentId,
    session: u64,
}

async fn serve<I, O>(
    incoming: &mut I,
    out: &mut O,
    told: &mut mpsc::Receiver<ToAgent>,
    engine: &EngineHandle,
    me: Me,
    shutdown: &mut Shutdown,
) where
    I: Stream<Item = Incoming> + Unpin,
    O: Sink<Outgoing> + Unpin,
{
    let mut bad: Vec<Instant> = Vec::new();
    loop {
        let frame = tokio::select! {
            f = incoming.next() => f,
            Some(item) = told.recv() => {
                if out.send(Outgoing::Text(render(&item))).await.is_err() {
                    return;
                }
                continue;
            }
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
            Ok(frame) => answer(frame, engine, me).await,
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

/// What a well-formed frame leads to. Conversation actions go to the engine as desk inputs;
/// it answers on this socket's channel (an `error` when the agent may not, `sent` for a `send`).
async fn answer(frame: ClientFrame, engine: &EngineHandle, me: Me) -> Option<ServerFrame> {
    let agent = me.id;
    let (input, client_id) = match frame {
        ClientFrame::Auth { .. } => {
            return Some(ServerFrame::error(
                "already_authenticated",
                "this connection is already authenticated",
            ))
        }
        ClientFrame::Presence { status } => {
            engine.agent_presence(agent, status.into()).await;
            return None;
        }
        ClientFrame::Ack { seq } => {
            engine.agent_ack(agent, seq).await;
            return None;
        }
        ClientFrame::Typing { conversation_id } => {
            engine.agent_typing(agent, conversation_id).await;
            return None;
        }
        ClientFrame::History {
            conversation_id,
            before,
        } => return Some(history(engine, agent, conversation_id, before).await),
        ClientFrame::Transfer {
            conversation_id,
            agent_id,
            skills,
            note,
        } => {
            let to = match transfer_to(agent_id, skills) {
                Ok(to) => to,
                Err(message) => return Some(ServerFrame::error("invalid_frame", message)),
            };
            let input = Input::Transfer {
                agent,
                conversation: conversation_id,
                to,
                note: note.filter(|n| !n.trim().is_empty()),
            };
            (input, None)
        }
        ClientFrame::Accept { conversation_id } => (
            Input::Accept {
                agent,
                conversation: conversation_id,
            },
            None,
        ),
        ClientFrame::Decline { conversation_id } => (
            Input::Decline {
                agent,
                conversation: conversation_id,
            },
            None,
        ),
        ClientFrame::Release { conversation_id } => (
            Input::Release {
                agent,
                conversation: conversation_id,
            },
            None,
        ),
        ClientFrame::Resolve { conversation_id } => (
            Input::Resolve {
                agent,
                conversation: conversation_id,
            },
            None,
        ),
        ClientFrame::Send {
            conversation_id,
            text,
            client_id,
        } => (
            Input::AgentSend {
                agent,
                conversation: conversation_id,
                text,
            },
            Some(client_id),
        ),
    };
    engine.agent_act(me.session, input, client_id).await;
    None
}

/// A page of older messages of a conversation the agent holds, or why not.
async fn history(
    engine: &EngineHandle,
    agent: AgentId,
    conversation: ConversationId,
    before: MessageId,
) -> ServerFrame {
    let refused = |code, message: String| ServerFrame::Error {
        code,
        message,
        reference: Some(conversation.to_string()),
    };
    if before.conversation != conversation {
        return refused(
            "invalid_frame",
            format!("message {before} is not of conversation {conversation}"),
        );
    }
    match engine.agent_history(agent, conversation, before.seq).await {
        Ok(Some((messages, earlier))) => ServerFrame::History {
            conversation_id: conversation.to_string(),
            messages: super::wire::messages(&messages),
            earlier,
        },
        Ok(None) => refused(
            "not_assigned",
            format!("conversation {conversation} is neither assigned nor offered to you"),
        ),
        Err(_) => refused(
            "unavailable",
            format!("the history of conversation {conversation} cannot be read now"),
        ),
    }
}

/// A transfer names exactly one of an agent or (non-empty) skills.
fn transfer_to(agent: Option<String>, skills: Option<Vec<String>>) -> Result<TransferTo, String> {
    match (agent, skills) {
        (Some(a), None) => a
            .parse()
            .map(TransferTo::Agent)
            .map_err(|e| format!("transfer: {e}")),
        (None, Some(skills)) if !skills.is_empty() => Ok(TransferTo::Skills(skills)),
        _ => Err("transfer: give exactly one of agent_id or (non-empty) skills".into()),
    }
}
