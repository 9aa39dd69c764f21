//! A conversation between one customer and one brand account, and the state it is in.

use super::agent::AgentId;
use super::effect::Effect;
use super::message::{Author, Message, Profile, QuickReply};
use super::routing::RoutingNote;

/// How many routing decisions a conversation keeps.
pub const ROUTING_NOTES: usize = 10;
use super::ids::{AccountId, Channel, ConversationId, CustomerId, MessageId, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub channel: Channel,
    pub id: CustomerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Why and how urgently a conversation waits for a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub reason: String,
    /// Higher is more urgent.
    pub priority: u8,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    pub queued_at: Timestamp,
    /// Left by the agent who transferred the conversation, for the next one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// The rules engine answers, signed with the bot profile.
    Bot,
    /// Waiting for a human; the bot says nothing but queue updates.
    Queued(Ticket),
    /// Reserved for one agent until `expires_at`; keeps its ticket, so a decline or a timeout
    /// puts it back at its place in line.
    Offered {
        ticket: Ticket,
        agent: AgentId,
        expires_at: Timestamp,
    },
    /// A person holds the conversation: messages go out with their profile; the bot is silent.
    WithAgent { agent: AgentId, since: Timestamp },
    /// Done; the customer's next message opens a new episode with the bot.
    Closed,
}

impl State {
    pub fn name(&self) -> &'static str {
        match self {
            State::Bot => "bot",
            State::Queued(_) => "queued",
            State::Offered { .. } => "offered",
            State::WithAgent { .. } => "with_agent",
            State::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub account: AccountId,
    pub customer: Customer,
    #[serde(flatten)]
    pub state: State,
    /// Bumped each time a closed conversation is reopened.
    pub episode: u32,
    /// Bumped by every change of who holds the conversation; outgoing messages record it.
    pub epoch: u64,
    /// Consecutive customer messages the bot did not understand in this episode.
    pub fallbacks: u32,
    /// Whether the bot has greeted the customer in this episode.
    pub greeted: bool,
    /// Sequence number the next message of this conversation gets.
    pub next_seq: u64,
    /// Agents who declined or let an offer of this conversation lapse, since it was queued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<AgentId>,
    /// The latest routing decisions, newest last (at most `ROUTING_NOTES`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing: Vec<RoutingNote>,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped by every saved change, so the newest of several stored snapshots is known.
    pub revision: u64,
}

impl Conversation {
    pub fn new(id: ConversationId, account: AccountId, customer: Customer, now: Timestamp) -> Self {
        Conversation {
            id,
            account,
            customer,
            state: State::Bot,
            episode: 1,
            epoch: 0,
            fallbacks: 0,
            greeted: false,
            next_seq: 0,
            declined: Vec::new(),
            routing: Vec::new(),
            opened_at: now,
            updated_at: now,
            revision: 0,
        }
    }

    /// Hands out the id of the next message in this conversation.
    pub fn next_message_id(&mut self) -> MessageId {
        let id = MessageId {
            conversation: self.id,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        id
    }

    /// A message to the customer, signed with `profile`, under the current epoch.
    pub fn say(
        &mut self,
        from: Author,
        profile: &Profile,
        text: String,
        quick_replies: Vec<QuickReply>,
        now: Timestamp,
    ) -> Effect {
        let message = Message {
            id: self.next_message_id(),
            from,
            text,
            payload: None,
            quick_replies,
            profile: Some(profile.clone()),
            at: now,
            epoch: self.epoch,
        };
        Effect::Send {
            account: self.account.clone(),
            to: self.customer.clone(),
            message,
        }
    }

    /// Marks a change at `now` and returns the snapshot to persist.
    pub fn touch(&mut self, now: Timestamp) -> Conversation {
        self.updated_at = now;
        self.revision += 1;
        self.clone()
    }

    pub fn ticket(&self) -> Option<&Ticket> {
        match &self.state {
            State::Queued(t) | State::Offered { ticket: t, .. } => Some(t),
            _ => None,
        }
    }

    /// The agent holding the conversation, if a person does.
    pub fn held_by(&self) -> Option<AgentId> {
        match self.state {
            State::WithAgent { agent, .. } => Some(agent),
            _ => None,
        }
    }
}
