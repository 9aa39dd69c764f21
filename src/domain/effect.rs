//! What goes into the core (`Input`: events) and what comes out (`Effect`: commands).

use super::agent::{Agent, AgentId, Presence};
use super::conversation::{Conversation, Customer};
use super::ids::{AccountId, Channel, ConversationId, CustomerId, Timestamp};
use super::message::{Attachment, Message};
use super::reasons::{LetGo, Refusal, SetAway, Withdrawn};

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
        attachments: Vec<Attachment>,
    },
    /// The brand's account wrote `text` to the customer from an app other than Baton: a
    /// person is answering outside, and the bot keeps quiet.
    TakenOutside {
        channel: Channel,
        customer: CustomerId,
        text: String,
        attachments: Vec<Attachment>,
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
    /// A deadline the scheduler held came due. What it means is decided from the state at that
    /// moment: a deadline the conversation (or agent) has moved past does nothing.
    Deadline { timer: Timer, at: Timestamp },
    /// The agent was disabled or removed: it takes nothing from now on, and what it held or
    /// was offered goes back in line.
    AgentLeft { agent: AgentId },
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
        why: Withdrawn,
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
        why: LetGo,
    },
    /// Set away by Baton (two offers in a row lapsed).
    SetAway {
        why: SetAway,
    },
    /// The agent accepted a conversation and has not written to the customer yet.
    Nudge {
        conversation: ConversationId,
        /// When the conversation goes back in line if the agent still has not written.
        requeue_at: Timestamp,
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
        code: Refusal,
        message: String,
    },
    /// Move `timer`'s deadline in the scheduler's index from `from` to `to` (`None`: not
    /// there), written in the same batch as the rest of the input's effects.
    Schedule {
        timer: Timer,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    },
}

/// What a deadline in the scheduler's index belongs to. Each holds at most one deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// The conversation's next timeout, whichever its state makes next (see `timers::due`).
    Conversation(ConversationId),
    /// The agent's disconnect grace.
    Agent(AgentId),
}
