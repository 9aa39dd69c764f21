//! What an agent is told, whole: the desk's [`AgentEvent`] with what the agent needs to see
//! (an offer's conversation and its transcript). The engine builds it, the store keeps it until
//! the agent acknowledges it, and the agent protocol renders it; none of them shapes another.
//!
//! [`AgentEvent`]: super::AgentEvent

use super::conversation::{Customer, Ticket};
use super::ids::{AccountId, ConversationId, Timestamp};
use super::message::Message;
use super::reasons::{LetGo, SetAway, Withdrawn};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Offer {
        conversation: Card,
        expires_at: Timestamp,
    },
    OfferWithdrawn {
        conversation: ConversationId,
        why: Withdrawn,
    },
    Assigned {
        conversation: Card,
    },
    Message {
        conversation: ConversationId,
        message: Message,
    },
    Closed {
        conversation: ConversationId,
        why: LetGo,
    },
    /// Baton set the agent away (offers lapsed).
    SetAway {
        why: SetAway,
    },
    /// The agent has not written yet; at `requeue_at` the conversation goes back in line.
    Reminder {
        conversation: ConversationId,
        requeue_at: Timestamp,
    },
}

/// A conversation as an agent is shown it in an offer or an assignment: who, why, and
/// everything said so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id: ConversationId,
    pub account: AccountId,
    pub customer: Customer,
    /// Why and how urgently it waits (none once the agent holds it).
    pub ticket: Option<Ticket>,
    pub transcript: Vec<Message>,
}
