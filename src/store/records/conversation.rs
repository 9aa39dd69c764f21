//! A conversation as stored (the snapshot in turns and checkpoints), with its state, ticket,
//! customer, follow-up and routing notes.

use super::routing::RoutingNoteRecord;
use super::text::{AgentRef, ConversationRef, MessageRef, Time};
use crate::domain::{
    AccountId, Channel, Conversation, Customer, CustomerId, FollowUp, Outside, State, Ticket,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelRecord {
    Webhook,
    Twitter,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub channel: ChannelRecord,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRecord {
    pub reason: String,
    pub priority: u8,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    pub queued_at: Time,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub told_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience_from: Option<Time>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub apologies: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpRecord {
    pub since: Time,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageRef>,
}

/// Someone answered the customer outside Baton (absent from records written before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideRecord {
    pub since: Time,
    pub active_at: Time,
}

impl From<Outside> for OutsideRecord {
    fn from(o: Outside) -> Self {
        OutsideRecord {
            since: o.since.into(),
            active_at: o.active_at.into(),
        }
    }
}

impl From<OutsideRecord> for Outside {
    fn from(o: OutsideRecord) -> Self {
        Outside {
            since: o.since.into(),
            active_at: o.active_at.into(),
        }
    }
}

/// Flattened into the conversation: `"state": "queued"` next to the ticket's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StateRecord {
    Bot,
    Queued(TicketRecord),
    Offered {
        ticket: TicketRecord,
        agent: AgentRef,
        expires_at: Time,
    },
    WithAgent {
        agent: AgentRef,
        since: Time,
        #[serde(default)]
        priority: u8,
        #[serde(default)]
        replied: bool,
        #[serde(default)]
        nudged: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heard_at: Option<Time>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        name: String,
    },
    Closed,
}

/// The conversation as a turn left it (or as the checkpoint holds it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub id: ConversationRef,
    pub account: String,
    pub customer: CustomerRecord,
    #[serde(flatten)]
    pub state: StateRecord,
    pub episode: u32,
    pub epoch: u64,
    pub fallbacks: u32,
    pub greeted: bool,
    pub next_seq: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<AgentRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing: Vec<RoutingNoteRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_since: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_outside: Option<OutsideRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Time>,
    pub opened_at: Time,
    pub updated_at: Time,
    pub revision: u64,
}

super::same_variants!(Channel <=> ChannelRecord: Webhook, Twitter);

impl From<&Customer> for CustomerRecord {
    fn from(c: &Customer) -> Self {
        CustomerRecord {
            channel: c.channel.into(),
            id: c.id.0.clone(),
            name: c.name.clone(),
        }
    }
}

impl From<CustomerRecord> for Customer {
    fn from(c: CustomerRecord) -> Self {
        Customer {
            channel: c.channel.into(),
            id: CustomerId(c.id),
            name: c.name,
        }
    }
}

impl From<&Ticket> for TicketRecord {
    fn from(t: &Ticket) -> Self {
        TicketRecord {
            reason: t.reason.clone(),
            priority: t.priority,
            skills: t.skills.clone(),
            queued_at: t.queued_at.into(),
            note: t.note.clone(),
            told_at: t.told_at.map(Into::into),
            patience_from: t.patience_from.map(Into::into),
            apologies: t.apologies,
        }
    }
}

impl From<TicketRecord> for Ticket {
    fn from(t: TicketRecord) -> Self {
        Ticket {
            reason: t.reason,
            priority: t.priority,
            skills: t.skills,
            queued_at: t.queued_at.into(),
            note: t.note,
            told_at: t.told_at.map(Into::into),
            patience_from: t.patience_from.map(Into::into),
            apologies: t.apologies,
        }
    }
}

impl From<&FollowUp> for FollowUpRecord {
    fn from(f: &FollowUp) -> Self {
        FollowUpRecord {
            since: f.since.into(),
            message: f.message.map(Into::into),
        }
    }
}

impl From<FollowUpRecord> for FollowUp {
    fn from(f: FollowUpRecord) -> Self {
        FollowUp {
            since: f.since.into(),
            message: f.message.map(Into::into),
        }
    }
}

impl From<&State> for StateRecord {
    fn from(s: &State) -> Self {
        match s {
            State::Bot => StateRecord::Bot,
            State::Queued(t) => StateRecord::Queued(t.into()),
            State::Offered {
                ticket,
                agent,
                expires_at,
            } => StateRecord::Offered {
                ticket: ticket.into(),
                agent: (*agent).into(),
                expires_at: (*expires_at).into(),
            },
            State::WithAgent {
                agent,
                since,
                priority,
                replied,
                nudged,
                heard_at,
                name,
            } => StateRecord::WithAgent {
                agent: (*agent).into(),
                since: (*since).into(),
                priority: *priority,
                replied: *replied,
                nudged: *nudged,
                heard_at: heard_at.map(Into::into),
                name: name.clone(),
            },
            State::Closed => StateRecord::Closed,
        }
    }
}

impl From<StateRecord> for State {
    fn from(s: StateRecord) -> Self {
        match s {
            StateRecord::Bot => State::Bot,
            StateRecord::Queued(t) => State::Queued(t.into()),
            StateRecord::Offered {
                ticket,
                agent,
                expires_at,
            } => State::Offered {
                ticket: ticket.into(),
                agent: agent.into(),
                expires_at: expires_at.into(),
            },
            StateRecord::WithAgent {
                agent,
                since,
                priority,
                replied,
                nudged,
                heard_at,
                name,
            } => State::WithAgent {
                agent: agent.into(),
                since: since.into(),
                priority,
                replied,
                nudged,
                heard_at: heard_at.map(Into::into),
                name,
            },
            StateRecord::Closed => State::Closed,
        }
    }
}

impl From<&Conversation> for SnapshotRecord {
    fn from(c: &Conversation) -> Self {
        SnapshotRecord {
            id: c.id.into(),
            account: c.account.0.clone(),
            customer: (&c.customer).into(),
            state: (&c.state).into(),
            episode: c.episode,
            epoch: c.epoch,
            fallbacks: c.fallbacks,
            greeted: c.greeted,
            next_seq: c.next_seq,
            declined: c.declined.iter().map(|&a| a.into()).collect(),
            routing: c.routing.iter().map(Into::into).collect(),
            rule: c.rule.clone(),
            bot_since: c.bot_since.map(Into::into),
            follow_up: c.follow_up.as_ref().map(Into::into),
            taken_outside: c.taken_outside.map(Into::into),
            deadline: c.deadline.map(Into::into),
            opened_at: c.opened_at.into(),
            updated_at: c.updated_at.into(),
            revision: c.revision,
        }
    }
}

impl From<SnapshotRecord> for Conversation {
    fn from(c: SnapshotRecord) -> Self {
        Conversation {
            id: c.id.into(),
            account: AccountId(c.account),
            customer: c.customer.into(),
            state: c.state.into(),
            episode: c.episode,
            epoch: c.epoch,
            fallbacks: c.fallbacks,
            greeted: c.greeted,
            next_seq: c.next_seq,
            declined: c.declined.into_iter().map(Into::into).collect(),
            routing: c.routing.into_iter().map(Into::into).collect(),
            rule: c.rule,
            bot_since: c.bot_since.map(Into::into),
            follow_up: c.follow_up.map(Into::into),
            taken_outside: c.taken_outside.map(Into::into),
            deadline: c.deadline.map(Into::into),
            opened_at: c.opened_at.into(),
            updated_at: c.updated_at.into(),
            revision: c.revision,
        }
    }
}

#[cfg(test)]
mod tests;
