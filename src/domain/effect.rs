//! What goes into the core (`Input`: events) and what comes out (`Effect`: commands).

use super::agent::{Agent, AgentId, Presence};
use super::conversation::{Conversation, Customer};
use super::ids::{AccountId, Channel, ConversationId, CustomerId, Timestamp};
use super::message::Message;

/// An event the desk reacts to. The account is passed beside it, already resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A customer wrote to the account (already deduplicated by event id).
    CustomerMessage {
        channel: Channel,
        customer: CustomerId,
        name: Option<String>,
        text: String,
        payload: Option<String>,
    },
    /// An agent connected, changed presence, or (`None`) has no connection left.
    AgentSeen {
        agent: Agent,
        presence: Option<Presence>,
    },
    Accept {
        agent: AgentId,
        conversation: ConversationId,
    },
    Decline {
        agent: AgentId,
        conversation: ConversationId,
    },
    /// The offer's deadline passed (stale if the conversation moved on).
    OfferExpired {
        agent: AgentId,
        conversation: ConversationId,
    },
    AgentSend {
        agent: AgentId,
        conversation: ConversationId,
        text: String,
    },
    /// Hand the conversation back to the bot.
    Release {
        agent: AgentId,
        conversation: ConversationId,
    },
    Resolve {
        agent: AgentId,
        conversation: ConversationId,
    },
    /// The agent's disconnect grace ended (stale if it came back).
    GraceExpired { agent: AgentId },
    /// Pass a held conversation to another agent, or back to the queue for a skill.
    Transfer {
        agent: AgentId,
        conversation: ConversationId,
        to: TransferTo,
        note: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTo {
    Agent(AgentId),
    Skills(Vec<String>),
}

/// What an agent is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEvent {
    Offer {
        conversation: ConversationId,
        expires_at: Timestamp,
    },
    OfferWithdrawn {
        conversation: ConversationId,
        why: &'static str,
    },
    Assigned {
        conversation: ConversationId,
    },
    Message {
        conversation: ConversationId,
        message: Message,
    },
    Closed {
        conversation: ConversationId,
        why: &'static str,
    },
    /// Set away by Baton (two offers in a row lapsed).
    SetAway {
        why: &'static str,
    },
}

/// A command for the engine. All effects of one input are written in one atomic batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Persist this snapshot of the conversation (the highest revision wins).
    Save(Conversation),
    /// Append an inbound message to the transcript.
    Record(Message),
    /// Append an outgoing message to the transcript and put it in the outbox.
    Send {
        account: AccountId,
        to: Customer,
        message: Message,
    },
    /// Tell an agent (every connection it has).
    Notify { agent: AgentId, event: AgentEvent },
    /// Refuse an agent's action; nothing changed.
    Refuse {
        agent: AgentId,
        conversation: ConversationId,
        code: &'static str,
        message: String,
    },
    /// Feed `Input::OfferExpired` back at `at`.
    OfferTimer {
        agent: AgentId,
        conversation: ConversationId,
        at: Timestamp,
    },
    /// Feed `Input::GraceExpired` back at `at`.
    GraceTimer { agent: AgentId, at: Timestamp },
}
