//! `GET /v1/conversations/{id}`: a conversation, its state and routing decisions, and its
//! transcript, in the admin API's own shapes.

use crate::agents::wire::{messages, CustomerJson, MessageJson, TicketJson};
use crate::domain::{Conversation, FollowUp, PassedOver, RoutingNote, State};
use crate::engine::ConversationView;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ConversationJson {
    pub conversation: ConversationStateJson,
    pub transcript: Vec<MessageJson>,
    /// Outgoing messages the channel refused for good: they never reached the customer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FailedJson>,
}

/// A message that failed for good, and the channel's reason.
#[derive(Debug, Serialize)]
pub struct FailedJson {
    pub message: MessageJson,
    pub reason: String,
}

impl From<&ConversationView> for ConversationJson {
    fn from(v: &ConversationView) -> Self {
        ConversationJson {
            conversation: (&v.conversation).into(),
            transcript: messages(&v.transcript),
            failed: v
                .failed
                .iter()
                .map(|f| FailedJson {
                    message: (&f.message).into(),
                    reason: f.error.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ConversationStateJson {
    pub id: String,
    pub account: String,
    pub customer: CustomerJson,
    #[serde(flatten)]
    pub state: StateJson,
    pub episode: u32,
    pub epoch: u64,
    pub fallbacks: u32,
    pub greeted: bool,
    pub next_seq: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routing: Vec<RoutingNoteJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpJson>,
    /// Since when someone has answered the customer outside Baton (the bot is silent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_outside_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    pub opened_at: String,
    pub updated_at: String,
    pub revision: u64,
}

#[derive(Debug, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StateJson {
    Bot,
    Queued(TicketJson),
    Offered {
        ticket: TicketJson,
        agent: String,
        expires_at: String,
    },
    WithAgent {
        agent: String,
        since: String,
        priority: u8,
        replied: bool,
        nudged: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        heard_at: Option<String>,
        #[serde(skip_serializing_if = "String::is_empty")]
        name: String,
    },
    Closed,
}

#[derive(Debug, Serialize)]
pub struct RoutingNoteJson {
    pub at: String,
    pub offered_to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<PassedOverJson>,
}

#[derive(Debug, Serialize)]
pub struct PassedOverJson {
    pub why: String,
    pub count: usize,
    pub agents: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct FollowUpJson {
    pub since: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn text<T: ToString>(list: &[T]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

impl From<&State> for StateJson {
    fn from(s: &State) -> Self {
        match s {
            State::Bot => StateJson::Bot,
            State::Queued(t) => StateJson::Queued(t.into()),
            State::Offered {
                ticket,
                agent,
                expires_at,
            } => StateJson::Offered {
                ticket: ticket.into(),
                agent: agent.to_string(),
                expires_at: expires_at.to_string(),
            },
            State::WithAgent {
                agent,
                since,
                priority,
                replied,
                nudged,
                heard_at,
                name,
            } => StateJson::WithAgent {
                agent: agent.to_string(),
                since: since.to_string(),
                priority: *priority,
                replied: *replied,
                nudged: *nudged,
                heard_at: heard_at.map(|t| t.to_string()),
                name: name.clone(),
            },
            State::Closed => StateJson::Closed,
        }
    }
}

impl From<&RoutingNote> for RoutingNoteJson {
    fn from(n: &RoutingNote) -> Self {
        RoutingNoteJson {
            at: n.at.to_string(),
            offered_to: n.offered_to.to_string(),
            named_by: n.named_by.map(|a| a.to_string()),
            passed_over: n.passed_over.iter().map(PassedOverJson::from).collect(),
        }
    }
}

impl From<&PassedOver> for PassedOverJson {
    fn from(p: &PassedOver) -> Self {
        PassedOverJson {
            why: p.why.as_str().to_owned(),
            count: p.count,
            agents: text(&p.agents),
        }
    }
}

impl From<&FollowUp> for FollowUpJson {
    fn from(f: &FollowUp) -> Self {
        FollowUpJson {
            since: f.since.to_string(),
            message: f.message.map(|m| m.to_string()),
        }
    }
}

impl From<&Conversation> for ConversationStateJson {
    fn from(c: &Conversation) -> Self {
        ConversationStateJson {
            id: c.id.to_string(),
            account: c.account.to_string(),
            customer: (&c.customer).into(),
            state: (&c.state).into(),
            episode: c.episode,
            epoch: c.epoch,
            fallbacks: c.fallbacks,
            greeted: c.greeted,
            next_seq: c.next_seq,
            declined: text(&c.declined),
            routing: c.routing.iter().map(RoutingNoteJson::from).collect(),
            rule: c.rule.clone(),
            bot_since: c.bot_since.map(|t| t.to_string()),
            follow_up: c.follow_up.as_ref().map(FollowUpJson::from),
            taken_outside_since: c.taken_outside.map(|o| o.since.to_string()),
            deadline: c.deadline.map(|t| t.to_string()),
            opened_at: c.opened_at.to_string(),
            updated_at: c.updated_at.to_string(),
            revision: c.revision,
        }
    }
}
