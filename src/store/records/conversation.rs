//! A conversation as stored (the snapshot in turns and checkpoints), with its state, ticket,
//! customer, follow-up and routing notes.

use super::absent::absent;
use super::routing::RoutingNoteRecord;
use super::text::{AgentRef, ConversationRef, MessageRef, Time};
use crate::domain::{
    AccountId, Channel, Conversation, Customer, CustomerId, FollowUp, Outside, State, Ticket,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelRecord {
    Webhook,
    Twitter,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord<'a> {
    pub channel: ChannelRecord,
    pub id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "absent")]
    pub name: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRecord<'a> {
    pub reason: Cow<'a, str>,
    pub priority: u8,
    #[serde(default, skip_serializing_if = "absent")]
    pub skills: Vec<Cow<'a, str>>,
    pub queued_at: Time,
    #[serde(default, skip_serializing_if = "absent")]
    pub note: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "absent")]
    pub told_at: Option<Time>,
    #[serde(default, skip_serializing_if = "absent")]
    pub patience_from: Option<Time>,
    #[serde(default, skip_serializing_if = "absent")]
    pub apologies: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpRecord {
    pub since: Time,
    #[serde(default, skip_serializing_if = "absent")]
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

/// The conversation's state, a field of its own: the variant's name around its fields (written
/// before version 5 flattened into the conversation instead: [`legacy`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateRecord<'a> {
    Bot,
    Queued(TicketRecord<'a>),
    Offered {
        ticket: TicketRecord<'a>,
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
        #[serde(default, skip_serializing_if = "absent")]
        heard_at: Option<Time>,
        #[serde(default, skip_serializing_if = "absent")]
        name: Cow<'a, str>,
    },
    Closed,
}

/// The conversation as a turn left it (or as the checkpoint holds it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// Borrows the conversation's strings when written (a turn carries one, encoded on the engine's
/// thread); owns them when read. Packed, an array like the records around it; what earlier
/// releases wrote, a map with the state's fields flattened into it, is read by
/// [`legacy::either_shape`].
pub struct SnapshotRecord<'a> {
    pub id: ConversationRef,
    pub account: Cow<'a, str>,
    pub customer: CustomerRecord<'a>,
    pub state: StateRecord<'a>,
    pub episode: u32,
    pub epoch: u64,
    pub fallbacks: u32,
    pub greeted: bool,
    pub next_seq: u64,
    #[serde(default, skip_serializing_if = "absent")]
    pub declined: Vec<AgentRef>,
    #[serde(default, skip_serializing_if = "absent")]
    pub routing: Vec<RoutingNoteRecord>,
    #[serde(default, skip_serializing_if = "absent")]
    pub rule: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "absent")]
    pub bot_since: Option<Time>,
    #[serde(default, skip_serializing_if = "absent")]
    pub follow_up: Option<FollowUpRecord>,
    #[serde(default, skip_serializing_if = "absent")]
    pub taken_outside: Option<OutsideRecord>,
    #[serde(default, skip_serializing_if = "absent")]
    pub deadline: Option<Time>,
    pub opened_at: Time,
    pub updated_at: Time,
    pub revision: u64,
}

super::same_variants!(Channel <=> ChannelRecord: Webhook, Twitter);

impl<'a> From<&'a Customer> for CustomerRecord<'a> {
    fn from(c: &'a Customer) -> Self {
        CustomerRecord {
            channel: c.channel.into(),
            id: Cow::Borrowed(c.id.as_str()),
            name: c.name.as_deref().map(Cow::Borrowed),
        }
    }
}

impl From<CustomerRecord<'_>> for Customer {
    fn from(c: CustomerRecord<'_>) -> Self {
        Customer {
            channel: c.channel.into(),
            id: CustomerId(c.id.into_owned()),
            name: c.name.map(Cow::into_owned),
        }
    }
}

impl<'a> From<&'a Ticket> for TicketRecord<'a> {
    fn from(t: &'a Ticket) -> Self {
        TicketRecord {
            reason: Cow::Borrowed(&t.reason),
            priority: t.priority,
            skills: t.skills.iter().map(|s| Cow::Borrowed(s.as_str())).collect(),
            queued_at: t.queued_at.into(),
            note: t.note.as_deref().map(Cow::Borrowed),
            told_at: t.told_at.map(Into::into),
            patience_from: t.patience_from.map(Into::into),
            apologies: t.apologies,
        }
    }
}

impl From<TicketRecord<'_>> for Ticket {
    fn from(t: TicketRecord<'_>) -> Self {
        Ticket {
            reason: t.reason.into_owned(),
            priority: t.priority,
            skills: t.skills.into_iter().map(Cow::into_owned).collect(),
            queued_at: t.queued_at.into(),
            note: t.note.map(Cow::into_owned),
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

impl<'a> From<&'a State> for StateRecord<'a> {
    fn from(s: &'a State) -> Self {
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
                name: Cow::Borrowed(name),
            },
            State::Closed => StateRecord::Closed,
        }
    }
}

impl From<StateRecord<'_>> for State {
    fn from(s: StateRecord<'_>) -> Self {
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
                name: name.into_owned(),
            },
            StateRecord::Closed => State::Closed,
        }
    }
}

impl<'a> From<&'a Conversation> for SnapshotRecord<'a> {
    fn from(c: &'a Conversation) -> Self {
        SnapshotRecord {
            id: c.id.into(),
            account: Cow::Borrowed(c.account.as_str()),
            customer: (&c.customer).into(),
            state: (&c.state).into(),
            episode: c.episode,
            epoch: c.epoch,
            fallbacks: c.fallbacks,
            greeted: c.greeted,
            next_seq: c.next_seq,
            declined: c.declined.iter().map(|&a| a.into()).collect(),
            routing: c.routing.iter().map(Into::into).collect(),
            rule: c.rule.as_deref().map(Cow::Borrowed),
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

impl From<SnapshotRecord<'_>> for Conversation {
    fn from(c: SnapshotRecord<'_>) -> Self {
        Conversation {
            id: c.id.into(),
            account: AccountId(c.account.into_owned()),
            customer: c.customer.into(),
            state: c.state.into(),
            episode: c.episode,
            epoch: c.epoch,
            fallbacks: c.fallbacks,
            greeted: c.greeted,
            next_seq: c.next_seq,
            declined: c.declined.into_iter().map(Into::into).collect(),
            routing: c.routing.into_iter().map(Into::into).collect(),
            rule: c.rule.map(Cow::into_owned),
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

pub mod legacy;

#[cfg(test)]
mod tests;
