//! The engine's side of agent sockets: connecting, presence, actions, and telling agents what
//! happened. Notices wait until the batch that caused them is written, so an offer's transcript
//! includes the messages that led to it; each socket has its own frame channel.

use super::{Command, Engine, EngineError, EngineHandle, Reply};
use crate::agents::protocol::ServerFrame;
use crate::domain::{
    Agent, AgentId, ConversationId, Effect, Input, MessageId, Presence, Timestamp, TransferTo,
};
use crate::store::{Outbound, Store, WriteSet};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// What an agent's socket tells the engine.
pub enum Session {
    /// A token's hash, and the last event the client saw (`resume_after`).
    Connect(String, Option<u64>, Reply<Option<Connected>>),
    Ack(AgentId, u64),
    Presence(AgentId, Presence),
    Disconnect(AgentId, u64),
    Act(AgentId, u64, Action),
}

/// What an agent asks to do with a conversation.
#[derive(Debug, Clone)]
pub enum Action {
    Accept(ConversationId),
    Decline(ConversationId),
    Send {
        conversation: ConversationId,
        text: String,
        client_id: String,
    },
    Release(ConversationId),
    Resolve(ConversationId),
    Transfer {
        conversation: ConversationId,
        to: TransferTo,
        note: Option<String>,
    },
}

/// An authenticated socket's place in the engine.
pub struct Connected {
    pub agent: Agent,
    pub presence: Presence,
    pub session: u64,
    /// Everything the engine has to tell this socket, as frame text.
    pub frames: mpsc::UnboundedReceiver<String>,
    /// Conversations the agent holds now.
    pub conversations: Vec<ConversationId>,
    /// Events kept since `resume_after`, to send right after the welcome.
    pub replay: Vec<String>,
}

pub(super) enum Notice {
    Effect(Box<Effect>),
    Sent {
        agent: AgentId,
        session: u64,
        client_id: String,
        message_id: MessageId,
    },
}

pub struct People {
    pub(super) sockets: HashMap<AgentId, Vec<(u64, mpsc::UnboundedSender<String>)>>,
    /// Next event number per agent, read from the store on first use.
    next_seq: HashMap<AgentId, u64>,
    next_session: u64,
    pub(super) notices: Vec<Notice>,
}

impl People {
    pub fn new() -> People {
        People {
            sockets: HashMap::new(),
            next_seq: HashMap::new(),
            next_session: 0,
            notices: Vec::new(),
        }
    }

    /// An agent effect to carry out once the batch is written.
    pub fn later(&mut self, effect: Effect) {
        self.notices.push(Notice::Effect(Box::new(effect)));
    }

    /// Sends a frame to every socket of the agent. One that must not be lost is numbered and
    /// kept (in `set`) until the agent acknowledges it.
    pub(super) fn tell(
        &mut self,
        agent: AgentId,
        frame: &ServerFrame,
        store: &Store,
        set: &mut WriteSet,
    ) {
        let text = if frame.must_not_be_lost() {
            let seq = match self.next_seq.get(&agent) {
                Some(n) => *n,
                None => store.agent_next_seq(agent).unwrap_or(1),
            };
            self.next_seq.insert(agent, seq + 1);
            let text = frame.to_text_with_seq(seq);
            set.agent_event(agent, seq, &text);
            text
        } else {
            frame.to_text()
        };
        for (_, socket) in self.sockets.get(&agent).into_iter().flatten() {
            let _ = socket.send(text.clone());
        }
    }
}

impl EngineHandle {
    /// A socket authenticated with a token whose SHA-256 is `token_sha256`.
    pub async fn agent_connect(
        &self,
        token_sha256: String,
        resume_after: Option<u64>,
    ) -> Result<Option<Connected>, EngineError> {
        let (reply, rx) = oneshot::channel();
        let connect = Session::Connect(token_sha256, resume_after, reply);
        self.call(Command::Session(connect), rx).await
    }

    /// The agent has every event up to `seq`.
    pub async fn agent_ack(&self, id: AgentId, seq: u64) {
        let _ = self.tx.send(Command::Session(Session::Ack(id, seq))).await;
    }

    pub async fn agent_presence(&self, id: AgentId, presence: Presence) {
        let _ = self
            .tx
            .send(Command::Session(Session::Presence(id, presence)))
            .await;
    }

    pub async fn agent_act(&self, id: AgentId, session: u64, action: Action) {
        let _ = self
            .tx
            .send(Command::Session(Session::Act(id, session, action)))
            .await;
    }

    pub async fn agent_disconnect(&self, id: AgentId, session: u64) {
        let _ = self
            .tx
            .send(Command::Session(Session::Disconnect(id, session)))
            .await;
    }
}

impl Engine {
    pub(super) fn session(
        &mut self,
        s: Session,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        match s {
            Session::Ack(agent, seq) => self.forget_events(agent, seq, set),
            Session::Connect(token_sha256, resume_after, reply) => {
                let connected = self.agents.connect(&token_sha256).map(|(agent, presence)| {
                    let (tx, frames) = mpsc::unbounded_channel();
                    let session = self.people.next_session;
                    self.people.next_session += 1;
                    self.people
                        .sockets
                        .entry(agent.id)
                        .or_default()
                        .push((session, tx));
                    let conversations = self
                        .desk
                        .conversations()
                        .filter(|c| c.held_by() == Some(agent.id))
                        .map(|c| c.id)
                        .collect();
                    Connected {
                        agent,
                        presence,
                        session,
                        frames,
                        conversations,
                        replay: Vec::new(),
                    }
                });
                let mut connected = connected;
                if let (Some(c), Some(after)) = (connected.as_mut(), resume_after) {
                    self.forget_events(c.agent.id, after, set);
                    match self.store.agent_events(c.agent.id, after) {
                        Ok(events) => c.replay = events.into_iter().map(|(_, t)| t).collect(),
                        Err(e) => {
                            tracing::warn!(error = %e, agent = %c.agent.id, "cannot read events to replay")
                        }
                    }
                }
                if let Some(c) = &connected {
                    let input = Input::AgentSeen {
                        agent: c.agent.clone(),
                        presence: Some(c.presence),
                    };
                    self.feed_desk(input, &c.agent.account.clone(), now, set, outgoing);
                }
                let _ = reply.send(Ok(connected));
            }
            Session::Presence(id, presence) => {
                self.agents.set_presence(id, presence);
                self.seen_again(id, now, set, outgoing);
            }
            Session::Disconnect(id, session) => {
                if let Some(list) = self.people.sockets.get_mut(&id) {
                    list.retain(|(s, _)| *s != session);
                }
                self.agents.disconnect(id);
                self.seen_again(id, now, set, outgoing);
            }
            Session::Act(agent, session, action) => {
                self.act(agent, session, action, now, set, outgoing);
            }
        }
    }

    /// Drops the kept events up to `seq`: the agent has them.
    fn forget_events(&mut self, agent: AgentId, seq: u64, set: &mut WriteSet) {
        match self.store.agent_events(agent, 0) {
            Ok(events) => {
                for (n, _) in events.into_iter().take_while(|(n, _)| *n <= seq) {
                    set.remove_agent_event(agent, n);
                }
            }
            Err(e) => tracing::warn!(error = %e, %agent, "cannot read events to acknowledge"),
        }
    }

    /// Tells the desk the agent's presence as the registry now has it.
    fn seen_again(
        &mut self,
        id: AgentId,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        let Some(agent) = self.agents.all().find(|a| a.id == id).cloned() else {
            return;
        };
        let presence = self.agents.presence(id);
        let account = agent.account.clone();
        let input = Input::AgentSeen { agent, presence };
        self.feed_desk(input, &account, now, set, outgoing);
    }

    fn act(
        &mut self,
        agent: AgentId,
        session: u64,
        action: Action,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        let (conversation, input, client_id) = match action {
            Action::Accept(c) => (
                c,
                Input::Accept {
                    agent,
                    conversation: c,
                },
                None,
            ),
            Action::Decline(c) => (
                c,
                Input::Decline {
                    agent,
                    conversation: c,
                },
                None,
            ),
            Action::Release(c) => (
                c,
                Input::Release {
                    agent,
                    conversation: c,
                },
                None,
            ),
            Action::Resolve(c) => (
                c,
                Input::Resolve {
                    agent,
                    conversation: c,
                },
                None,
            ),
            Action::Transfer {
                conversation,
                to,
                note,
            } => (
                conversation,
                Input::Transfer {
                    agent,
                    conversation,
                    to,
                    note,
                },
                None,
            ),
            Action::Send {
                conversation,
                text,
                client_id,
            } => (
                conversation,
                Input::AgentSend {
                    agent,
                    conversation,
                    text,
                },
                Some(client_id),
            ),
        };
        let sent = self.act_on(agent, conversation, input, now, set, outgoing);
        if let (Some(client_id), Some(message_id)) = (client_id, sent) {
            self.people.notices.push(Notice::Sent {
                agent,
                session,
                client_id,
                message_id,
            });
        }
    }

    /// Runs an agent's input through the desk under the conversation's account (or, for a
    /// conversation that does not exist, the agent's, so the refusal still happens); returns
    /// the id of a message it sent, if any.
    fn act_on(
        &mut self,
        agent: AgentId,
        conversation: ConversationId,
        input: Input,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) -> Option<MessageId> {
        let account = match self.desk.conversation(conversation) {
            Some(c) => c.account.clone(),
            None => self.agents.all().find(|a| a.id == agent)?.account.clone(),
        };
        self.feed_desk(input, &account, now, set, outgoing)
    }

    pub(super) fn feed_desk(
        &mut self,
        input: Input,
        account: &crate::domain::AccountId,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) -> Option<MessageId> {
        let account = self.accounts.get(account)?;
        let effects = self.desk.handle(input, now, account);
        let sent = effects.iter().find_map(|e| match e {
            Effect::Send { message, .. } => Some(message.id),
            _ => None,
        });
        self.write_turns(effects, None, now, set, outgoing);
        sent
    }
}
