//! The engine's side of agent sockets: connecting, presence, acknowledgements and actions, and
//! each socket's channel of [`ToAgent`] items. What the engine tells an agent is a typed
//! [`Notice`]; `agents::protocol` turns it into frames.
//!
//! Each socket's channel holds at most [`OUTLET`] items. The engine never waits on a socket: a
//! socket whose channel is full is cut off (its channel dropped, its session told through
//! `kicked`), and the session closes it with [`crate::agents`]'s "too slow" code. Nothing kept
//! is lost: events stay in the store until acknowledged and the client resumes from them. A
//! reconnect replays them in pages ([`REPLAY_PAGE`]), never all at once.

mod admin;
mod serve;

pub use admin::{Admin, AgentEdit, Revoked};

use super::{Command, Engine, EngineError, EngineHandle, Reply};
use crate::domain::{
    profile_clash, AccountId, Agent, AgentId, Card, ConversationId, Effect, Input, MessageId,
    Notice, Presence, Refusal, Timestamp,
};
use crate::store::{Kept, Outbound, Store, WriteSet};
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// What an agent's socket tells the engine.
pub enum Session {
    /// A token's hash, the last event the client saw (`resume_after`), and the account the
    /// socket was opened for (`?account=`), when it named one.
    Connect(
        String,
        Option<u64>,
        Option<AccountId>,
        Reply<Result<Connected, NotAdmitted>>,
    ),
    Ack(AgentId, u64),
    /// The next page of a replay: kept events above `after`, up to `upto`.
    Replay {
        agent: AgentId,
        after: u64,
        upto: u64,
        reply: Reply<Vec<(u64, ToAgent)>>,
    },
    Presence(AgentId, Presence),
    Disconnect(AgentId, u64),
    /// The agent is typing in a conversation.
    Typing(AgentId, ConversationId),
    /// The agent asks for older messages of a conversation it holds or is offered: the answer
    /// is where its turns are, read by the asker (`HistoryRead::read`), not on the engine's
    /// thread.
    History {
        agent: AgentId,
        conversation: ConversationId,
        reply: Reply<History>,
    },
    /// An agent's action on a conversation, from socket `session`; a `send` names the
    /// client's id for the message, answered with [`ToAgent::Sent`].
    Act {
        session: u64,
        input: Input,
        client_id: Option<String>,
    },
}

/// Where a held conversation's turns are, for a page of its older messages; `None` in the
/// engine's answer when the asking agent does not hold the conversation.
pub type History = Option<HistoryRead>;

/// A conversation's turn list and the store to read it from.
pub struct HistoryRead {
    turns: crate::store::TurnList,
    store: crate::store::Store,
}

impl HistoryRead {
    fn read(
        self,
        id: ConversationId,
        before: u64,
    ) -> Result<(Vec<crate::domain::Message>, bool), EngineError> {
        self.store
            .messages_before(id, &self.turns, before, super::notices::CARD_MESSAGES)
            .map_err(|e| {
                tracing::error!(error = %e, conversation_id = %id, "cannot read a conversation's history for its agent");
                EngineError::Unavailable
            })
    }
}

/// Something for an agent's socket, in the order it must be sent.
#[derive(Debug, Clone)]
pub enum ToAgent {
    /// Event number `seq`: kept until acknowledged, replayed after a reconnect.
    Event(u64, Arc<Notice>),
    /// An event kept by an earlier release, as the frame text it sent (its number in it).
    Frame(Arc<str>),
    /// The `send` with this client id became this message.
    Sent {
        client_id: String,
        message_id: MessageId,
    },
    /// The customer is typing (not kept: it matters only now).
    Typing { conversation: ConversationId },
    /// The customer read the conversation, up to `message` when the channel says (not kept).
    Read {
        conversation: ConversationId,
        message: Option<MessageId>,
    },
    /// An admin edited the agent (not kept: a reconnect's `welcome` carries the same).
    Updated(Box<crate::domain::Agent>),
    /// An action was refused and changed nothing.
    Refused {
        code: Refusal,
        message: String,
        conversation: ConversationId,
    },
}

impl From<(u64, Kept)> for ToAgent {
    fn from((seq, kept): (u64, Kept)) -> ToAgent {
        match kept {
            Kept::Notice(n) => ToAgent::Event(seq, Arc::from(n)),
            Kept::Frame(text) => ToAgent::Frame(text.into()),
        }
    }
}

/// How many items a socket's channel holds before the socket is cut off as too slow.
pub const OUTLET: usize = 512;

/// How many kept events one replay page reads from the store.
pub const REPLAY_PAGE: usize = 256;

/// An authenticated socket's place in the engine.
/// Why a socket's token did not connect it; the agent was not seated, nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAdmitted {
    /// No active agent has this token.
    UnknownToken,
    /// The token is an agent's of another account than the one the socket was opened for:
    /// behind a router, the socket reached the wrong daemon's door for this agent.
    OtherAccount,
}

pub struct Connected {
    pub agent: Agent,
    pub presence: Presence,
    pub session: u64,
    /// Everything the engine has to tell this socket (at most [`OUTLET`] waiting).
    pub told: mpsc::Receiver<ToAgent>,
    /// Fires when the engine cut the socket off, and why.
    pub kicked: oneshot::Receiver<Cut>,
    /// Conversations the agent holds now, each with its whole transcript, so a client that
    /// lost its state (a reloaded page) can show them again.
    pub conversations: Vec<Card>,
    /// Kept events to replay right after the welcome, if the client asked (`resume_after`):
    /// those numbered above the first and up to the second. Later ones come on `told`.
    pub replay: Option<(u64, u64)>,
}

/// Why the engine cut a socket off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// It fell [`OUTLET`] items behind: the client resumes from the kept events.
    TooSlow,
    /// The agent was disabled or removed, or its token replaced: the token it connected with
    /// no longer works.
    Revoked(Revoked),
}

/// What to tell agents once the batch that caused it is written.
pub(super) enum Later {
    Effect(Box<Effect>),
    /// A notice that did not come from the desk (what became of a message).
    Tell(AgentId, Box<Notice>),
    /// The notices of a runner's reports are told: once written, it may move on past them.
    Kept(crate::outbox::report::Batch),
    Sent {
        agent: AgentId,
        session: u64,
        client_id: String,
        message_id: MessageId,
    },
    /// The agent was edited: its sockets hear it as it is now.
    Updated(AgentId),
}

/// One socket's end in the engine.
struct Outlet {
    session: u64,
    tx: mpsc::Sender<ToAgent>,
    /// Fired when the socket is cut off.
    kick: oneshot::Sender<Cut>,
}

pub struct People {
    sockets: HashMap<AgentId, Vec<Outlet>>,
    /// Next event number per agent, read from the store on first use.
    next_seq: HashMap<AgentId, u64>,
    next_session: u64,
    pub(super) later: Vec<Later>,
}

impl People {
    pub fn new() -> People {
        People {
            sockets: HashMap::new(),
            next_seq: HashMap::new(),
            next_session: 0,
            later: Vec::new(),
        }
    }

    /// An agent effect to carry out once the batch is written.
    pub fn later(&mut self, effect: Effect) {
        self.later.push(Later::Effect(Box::new(effect)));
    }

    /// Tells every socket of the agent; the notice is numbered and kept (in `set`) until the
    /// agent acknowledges it.
    pub(super) fn tell(
        &mut self,
        agent: AgentId,
        notice: Notice,
        store: &Store,
        set: &mut WriteSet,
    ) {
        let seq = self.next_seq(agent, store);
        self.next_seq.insert(agent, seq + 1);
        set.agent_event(agent, seq, &notice);
        self.send(agent, None, ToAgent::Event(seq, Arc::new(notice)));
    }

    /// Sends to every socket of the agent, or only to socket `session`. A socket whose channel
    /// is full is cut off: its session closes it, and its client resumes from the kept events.
    pub(super) fn send(&mut self, agent: AgentId, session: Option<u64>, item: ToAgent) {
        let Some(list) = self.sockets.get_mut(&agent) else {
            return;
        };
        let mut i = 0;
        while i < list.len() {
            let o = &list[i];
            if session.is_some_and(|only| o.session != only) {
                i += 1;
                continue;
            }
            match o.tx.try_send(item.clone()) {
                Ok(()) => i += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    let o = list.swap_remove(i);
                    tracing::warn!(%agent, session = o.session, bound = OUTLET, "agent socket too slow; cut off");
                    let _ = o.kick.send(Cut::TooSlow);
                }
                // The session is gone; its disconnect is on its way.
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    list.swap_remove(i);
                }
            }
        }
        if list.is_empty() {
            self.sockets.remove(&agent);
        }
    }

    /// The event number the agent's next event will get.
    pub(super) fn next_seq(&mut self, agent: AgentId, store: &Store) -> u64 {
        *self
            .next_seq
            .entry(agent)
            .or_insert_with(|| store.agent_next_seq(agent).unwrap_or(1))
    }

    /// Cuts every socket of the agent off: each session says why and closes. Nothing more is
    /// sent to them; each still reports its disconnect, which keeps the connection count.
    pub(super) fn revoke(&mut self, agent: AgentId, why: Revoked) {
        for o in self.sockets.remove(&agent).unwrap_or_default() {
            let _ = o.kick.send(Cut::Revoked(why));
        }
    }

    /// Whether socket `session` of the agent is still served (not cut off).
    fn is_open(&self, agent: AgentId, session: u64) -> bool {
        self.sockets
            .get(&agent)
            .is_some_and(|list| list.iter().any(|o| o.session == session))
    }

    fn open(&mut self, agent: AgentId) -> (u64, mpsc::Receiver<ToAgent>, oneshot::Receiver<Cut>) {
        let (tx, rx) = mpsc::channel(OUTLET);
        let (kick, kicked) = oneshot::channel();
        let session = self.next_session;
        self.next_session += 1;
        let outlet = Outlet { session, tx, kick };
        self.sockets.entry(agent).or_default().push(outlet);
        (session, rx, kicked)
    }

    fn close(&mut self, agent: AgentId, session: u64) {
        if let Some(list) = self.sockets.get_mut(&agent) {
            list.retain(|o| o.session != session);
            if list.is_empty() {
                self.sockets.remove(&agent);
            }
        }
    }
}

impl EngineHandle {
    /// A socket authenticated with a token whose SHA-256 is `token_sha256`; with `account`,
    /// only an agent of that account is admitted.
    pub async fn agent_connect(
        &self,
        token_sha256: String,
        resume_after: Option<u64>,
        account: Option<AccountId>,
    ) -> Result<Result<Connected, NotAdmitted>, EngineError> {
        let (reply, rx) = oneshot::channel();
        let connect = Session::Connect(token_sha256, resume_after, account, reply);
        self.call(Command::Session(connect), rx).await
    }

    /// The next page (at most [`REPLAY_PAGE`]) of the kept events numbered above `after` and
    /// up to `upto`, each with its number; empty once the replay is over.
    pub async fn agent_replay(
        &self,
        agent: AgentId,
        after: u64,
        upto: u64,
    ) -> Result<Vec<(u64, ToAgent)>, EngineError> {
        let (reply, rx) = oneshot::channel();
        let replay = Session::Replay {
            agent,
            after,
            upto,
            reply,
        };
        self.call(Command::Session(replay), rx).await
    }

    /// The agent has every event up to `seq`.
    pub async fn agent_ack(&self, id: AgentId, seq: u64) {
        self.session(Session::Ack(id, seq)).await;
    }

    pub async fn agent_presence(&self, id: AgentId, presence: Presence) {
        self.session(Session::Presence(id, presence)).await;
    }

    /// An agent's action (accept, decline, send, transfer, release, resolve) from socket
    /// `session`. Refusals and `sent` receipts come back on that socket's channel.
    pub async fn agent_act(&self, session: u64, input: Input, client_id: Option<String>) {
        self.session(Session::Act {
            session,
            input,
            client_id,
        })
        .await;
    }

    /// A page of `conversation`'s messages before message number `before`, for the agent
    /// holding it or offered it: `None` for anyone else.
    pub async fn agent_history(
        &self,
        agent: AgentId,
        conversation: ConversationId,
        before: u64,
    ) -> Result<Option<(Vec<crate::domain::Message>, bool)>, EngineError> {
        let (reply, rx) = oneshot::channel();
        let ask = Session::History {
            agent,
            conversation,
            reply,
        };
        let Some(history) = self.call(Command::Session(ask), rx).await? else {
            return Ok(None);
        };
        tokio::task::spawn_blocking(move || history.read(conversation, before))
            .await
            .map_err(|_| EngineError::Unavailable)?
            .map(Some)
    }

    /// The agent is typing in `conversation` (the platform shows it, if it can).
    pub async fn agent_typing(&self, id: AgentId, conversation: ConversationId) {
        self.session(Session::Typing(id, conversation)).await;
    }

    pub async fn agent_disconnect(&self, id: AgentId, session: u64) {
        self.session(Session::Disconnect(id, session)).await;
    }

    async fn session(&self, s: Session) {
        let _ = self.tx.send(Command::Session(s)).await;
    }
}
