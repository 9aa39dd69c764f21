//! Signals that are never kept: a customer typing or reading reaches the agent holding the
//! conversation as it happens, and the platform hears that an agent is typing and what an
//! agent has been shown (read). All best effort: nothing is stored, and a signal that finds
//! its outlet full is dropped.

use super::people::ToAgent;
use super::{Command, Engine, EngineHandle};
use crate::domain::{
    AccountId, AgentId, Author, Channel, ConversationId, CustomerId, EventId, MessageId,
};
use foldhash::HashMap;
use tokio::sync::mpsc;

/// A customer's live signal, as a channel decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSignal {
    pub account: AccountId,
    pub channel: Channel,
    pub customer: CustomerId,
    pub what: CustomerDid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerDid {
    Typing,
    /// Read the conversation up to this message of ours, when the channel could tell which.
    Read(Option<MessageId>),
}

/// What a platform should be told about one of its customers' conversations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSignal {
    pub account: AccountId,
    pub customer: CustomerId,
    pub what: Shown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// An agent is typing to the customer.
    Typing,
    /// An agent has been shown the customer's messages up to this platform event.
    Read { last: EventId },
}

/// The engine's side of platform signals (Twitter/X only: the one channel that has them).
#[derive(Default)]
pub(super) struct Signals {
    outlet: Option<mpsc::Sender<PlatformSignal>>,
    /// The platform's id of each conversation's latest customer message, since start-up.
    last_heard: HashMap<ConversationId, EventId>,
}

impl Signals {
    pub fn heard(&mut self, conversation: ConversationId, event: EventId) {
        if self.outlet.is_some() {
            self.last_heard.insert(conversation, event);
        }
    }

    /// The conversation left memory (at rest in the store).
    pub fn forget(&mut self, conversation: ConversationId) {
        self.last_heard.remove(&conversation);
    }

    fn emit(&self, signal: PlatformSignal) {
        if let Some(outlet) = &self.outlet {
            if outlet.try_send(signal).is_err() {
                tracing::debug!("platform signal dropped: its outlet is full or gone");
            }
        }
    }
}

impl EngineHandle {
    /// A customer typed or read: the agent holding the conversation hears of it.
    pub async fn customer_signal(&self, signal: CustomerSignal) {
        let _ = self.tx.send(Command::Signal(signal)).await;
    }
}

impl Engine {
    /// Where signals for the Twitter/X platform go (its client task's receiver).
    pub fn signals_to(&mut self, outlet: mpsc::Sender<PlatformSignal>) {
        self.signals.outlet = Some(outlet);
    }

    pub(super) fn customer_signal(&mut self, s: CustomerSignal) {
        let Some(conv) = self.desk.find(&s.account, s.channel, &s.customer) else {
            return;
        };
        let Some(agent) = conv.held_by() else {
            return;
        };
        let conversation = conv.id;
        let item = match s.what {
            CustomerDid::Typing => ToAgent::Typing { conversation },
            // Only a message of this conversation: an id from elsewhere would mislead.
            CustomerDid::Read(message) => ToAgent::Read {
                conversation,
                message: message.filter(|m| m.conversation == conversation),
            },
        };
        self.people.send(agent, None, item);
    }

    /// The agent is typing in a conversation it holds: the platform shows it.
    pub(super) fn agent_typing(&mut self, agent: AgentId, conversation: ConversationId) {
        let Some(conv) = self.desk.conversation(conversation) else {
            return;
        };
        if conv.held_by() != Some(agent) || conv.customer.channel != Channel::Twitter {
            return;
        }
        self.signals.emit(PlatformSignal {
            account: conv.account.clone(),
            customer: conv.customer.id.clone(),
            what: Shown::Typing,
        });
    }

    /// The agent holding `conversation` was shown its messages: the platform marks them read.
    pub(super) fn shown(&mut self, conversation: ConversationId) {
        let Some(last) = self.signals.last_heard.get(&conversation) else {
            return;
        };
        let Some(conv) = self.desk.conversation(conversation) else {
            return;
        };
        if conv.customer.channel != Channel::Twitter {
            return;
        }
        self.signals.emit(PlatformSignal {
            account: conv.account.clone(),
            customer: conv.customer.id.clone(),
            what: Shown::Read { last: last.clone() },
        });
    }
}

/// Whether a notice shows the agent a customer's message: an assignment (the transcript) or
/// a customer's message.
pub(super) fn shows_customer(event: &crate::domain::AgentEvent) -> Option<ConversationId> {
    use crate::domain::AgentEvent;
    match event {
        AgentEvent::Assigned { conversation } => Some(*conversation),
        AgentEvent::Message {
            conversation,
            message,
        } if message.from == Author::Customer => Some(*conversation),
        _ => None,
    }
}
