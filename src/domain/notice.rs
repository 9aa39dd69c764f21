//! What an agent is told, whole: the desk's [`AgentEvent`] with what the agent needs to see
//! (an offer's conversation and its transcript). The engine builds it, the store keeps it until
//! the agent acknowledges it, and the agent protocol renders it; none of them shapes another.
//! Most notices come from the desk; what became of a message once its channel had the last
//! word comes from the outbox runner, through the engine.
//!
//! [`AgentEvent`]: super::AgentEvent

use super::conversation::{Customer, Ticket};
use super::ids::{AccountId, ConversationId, MessageId, Timestamp};
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
    /// The channel's sink confirmed a message signed with the agent's profile (one it wrote,
    /// or the announcement of its accept). After a restart it may be told again.
    Delivered {
        message: MessageId,
    },
    /// The channel refused a message signed with the agent's profile for good; `reason` is
    /// the sink's account of it (the platform's words, so free text).
    DeliveryFailed {
        message: MessageId,
        reason: String,
    },
}

/// A conversation as an agent is shown it in an offer or an assignment: who, why, and what
/// was said lately (the newest messages; `earlier` says whether older ones were left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id: ConversationId,
    pub account: AccountId,
    pub customer: Customer,
    /// Why and how urgently it waits (none once the agent holds it).
    pub ticket: Option<Ticket>,
    pub transcript: Vec<Message>,
    /// The conversation has older messages than the transcript's.
    pub earlier: bool,
}
