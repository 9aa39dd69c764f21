//! A conversation between one customer and one brand account, and the state it is in.

use super::agent::AgentId;
use super::ids::{AccountId, Channel, ConversationId, CustomerId, MessageId, Timestamp};
use super::message::{Attachment, Author, Message, Profile, QuickReply};
use super::reasons::Lined;
use super::routing::RoutingNote;

/// How many routing decisions a conversation keeps.
pub const ROUTING_NOTES: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub channel: Channel,
    pub id: CustomerId,
    pub name: Option<String>,
}

/// Why and how urgently a conversation waits for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub reason: String,
    /// Higher is more urgent.
    pub priority: u8,
    pub skills: Vec<String>,
    pub queued_at: Timestamp,
    /// Left by the agent who transferred the conversation, for the next one.
    pub note: Option<String>,
    /// When the customer was last told their place in line (`queue_update` counts from here).
    pub told_at: Option<Timestamp>,
    /// Since when the customer has waited without being apologised to: `queue_max_wait`
    /// counts from here (the wait began, or the customer last chose to keep waiting).
    pub patience_from: Option<Timestamp>,
    /// How often the customer was offered to keep waiting or leave a message.
    pub apologies: u32,
}

impl Ticket {
    /// The desk lines a conversation up for one of its own reasons.
    pub(super) fn lined(why: Lined, priority: u8, queued_at: Timestamp, now: Timestamp) -> Ticket {
        Ticket::new(why.as_str(), priority, queued_at, now)
    }

    /// A ticket queued at `queued_at`, the customer told of it `now`.
    pub fn new(reason: &str, priority: u8, queued_at: Timestamp, now: Timestamp) -> Ticket {
        Ticket {
            reason: reason.to_owned(),
            priority,
            skills: Vec::new(),
            queued_at,
            note: None,
            told_at: Some(now),
            patience_from: Some(now),
            apologies: 0,
        }
    }
}

/// A person answered the customer outside Baton (the brand's account wrote from another app):
/// the bot keeps quiet until an agent lets go of the conversation or the customer goes idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outside {
    /// The first answer from outside.
    pub since: Timestamp,
    /// The customer's last message or the last answer from outside, whichever is later:
    /// `customer_idle` counts from here.
    pub active_at: Timestamp,
}

/// A conversation parked for a person to follow up: the customer chose to leave a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub since: Timestamp,
    /// The message the customer left, once written.
    pub message: Option<MessageId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
    WithAgent {
        agent: AgentId,
        since: Timestamp,
        /// The ticket's priority when taken, raised if it has to go back in line.
        priority: u8,
        /// Whether the agent has written to the customer yet (`agent_first_reply`).
        replied: bool,
        /// Whether the agent was reminded to write.
        nudged: bool,
        /// The customer's last message, or `since` (`customer_idle` counts from here).
        heard_at: Option<Timestamp>,
        /// The name the customer was introduced to, for what the bot says about the agent
        /// later (kept here: after a restart the agent may not have reconnected).
        name: String,
    },
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub account: AccountId,
    pub customer: Customer,
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
    pub declined: Vec<AgentId>,
    /// The latest routing decisions, newest last (at most `ROUTING_NOTES`).
    pub routing: Vec<RoutingNote>,
    /// The rule that last matched in this episode: its `timeouts` apply.
    pub rule: Option<String>,
    /// When the customer started waiting on the bot (their first message since the bot took
    /// over); `bot_unresolved` counts from here.
    pub bot_since: Option<Timestamp>,
    /// Set when the customer chose to leave a message; cleared when a person takes it.
    pub follow_up: Option<FollowUp>,
    /// Set while someone answers the customer outside Baton; the bot is silent meanwhile.
    pub taken_outside: Option<Outside>,
    /// The one deadline the scheduler holds for this conversation (see `timers`).
    pub deadline: Option<Timestamp>,
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
            rule: None,
            bot_since: None,
            follow_up: None,
            taken_outside: None,
            deadline: None,
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

    /// A message that came in (the customer's, or an answer from another app): unsigned, under
    /// the current epoch.
    pub fn heard(
        &mut self,
        from: Author,
        text: String,
        payload: Option<String>,
        attachments: Vec<Attachment>,
        now: Timestamp,
    ) -> Message {
        Message {
            id: self.next_message_id(),
            from,
            text,
            payload,
            quick_replies: Vec::new(),
            attachments,
            profile: None,
            at: now,
            epoch: self.epoch,
        }
    }

    /// A message to the customer, signed with `profile`, under the current epoch.
    pub fn say(
        &mut self,
        from: Author,
        profile: &Profile,
        text: String,
        quick_replies: Vec<QuickReply>,
        now: Timestamp,
    ) -> Message {
        Message {
            quick_replies,
            profile: Some(profile.clone()),
            ..self.heard(from, text, None, Vec::new(), now)
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

    /// Keeps a routing decision, dropping the oldest beyond `ROUTING_NOTES`.
    pub fn note_routing(&mut self, note: RoutingNote) {
        self.routing.push(note);
        let excess = self.routing.len().saturating_sub(ROUTING_NOTES);
        self.routing.drain(..excess);
    }

    /// The agent holding the conversation, if a person does.
    pub fn held_by(&self) -> Option<AgentId> {
        match self.state {
            State::WithAgent { agent, .. } => Some(agent),
            _ => None,
        }
    }

    /// The agent who holds the conversation or is offered it: the one person shown it.
    pub fn shown_to(&self) -> Option<AgentId> {
        match self.state {
            State::WithAgent { agent, .. } | State::Offered { agent, .. } => Some(agent),
            _ => None,
        }
    }
}
