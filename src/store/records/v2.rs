//! The top-level records of version 2 (the byte in front of the JSON): what each key holds.
//! Their JSON is byte-for-byte what the releases that serialized domain types wrote.

use super::absent::absent;
use super::conversation::legacy::either_shape;
use super::conversation::{ChannelRecord, CustomerRecord, SnapshotRecord};
use super::message::{MessageRecord, ProfileRecord};
use super::text::{AgentRef, Time};
use super::{AgentRecord, ConversationRecord, EventBucket, EventRef, FailedRecord, TurnRecord};
use crate::domain::{AccountId, Agent, EventId};
use crate::store::TurnList;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRefRecord<'a> {
    pub account: Cow<'a, str>,
    pub channel: ChannelRecord,
    pub id: Cow<'a, str>,
}

/// `t` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnV2<'a> {
    #[serde(default, skip_serializing_if = "absent")]
    pub event: Option<EventRefRecord<'a>>,
    #[serde(deserialize_with = "either_shape")]
    pub conversation: SnapshotRecord<'a>,
    #[serde(default, skip_serializing_if = "absent")]
    pub messages: Vec<MessageRecord<'a>>,
}

/// `c` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointV2<'a> {
    #[serde(deserialize_with = "either_shape")]
    pub conversation: SnapshotRecord<'a>,
    pub turns: Vec<u64>,
    /// How many older turns are in pages; absent (none) in what earlier releases wrote.
    #[serde(default, skip_serializing_if = "absent")]
    pub paged: u64,
}

/// `e` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketV2<'a> {
    pub written_at: Time,
    pub events: Vec<(EventRefRecord<'a>, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentDataRecord<'a> {
    pub id: AgentRef,
    pub account: String,
    pub name: String,
    pub profile: ProfileRecord<'a>,
    pub skills: Vec<String>,
    pub capacity: u32,
}

/// `a` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentV2<'a> {
    pub agent: AgentDataRecord<'a>,
    pub token_sha256: String,
}

/// `x` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedV2<'a> {
    pub account: String,
    pub to: CustomerRecord<'a>,
    pub message: MessageRecord<'a>,
    pub error: String,
}

impl<'a> From<&'a EventRef> for EventRefRecord<'a> {
    fn from(e: &'a EventRef) -> Self {
        EventRefRecord {
            account: Cow::Borrowed(e.account.as_str()),
            channel: e.channel.into(),
            id: Cow::Borrowed(e.id.as_str()),
        }
    }
}

impl From<EventRefRecord<'_>> for EventRef {
    fn from(e: EventRefRecord<'_>) -> Self {
        EventRef {
            account: AccountId(e.account.into_owned()),
            channel: e.channel.into(),
            id: EventId(e.id.into_owned()),
        }
    }
}

impl<'a> From<&'a TurnRecord> for TurnV2<'a> {
    fn from(t: &'a TurnRecord) -> Self {
        TurnV2 {
            event: t.event.as_ref().map(Into::into),
            conversation: (&t.conversation).into(),
            messages: t.messages.iter().map(Into::into).collect(),
        }
    }
}

impl From<TurnV2<'_>> for TurnRecord {
    fn from(t: TurnV2<'_>) -> Self {
        TurnRecord {
            event: t.event.map(Into::into),
            conversation: t.conversation.into(),
            messages: t.messages.into_iter().map(Into::into).collect(),
        }
    }
}

impl<'a> From<&'a ConversationRecord> for CheckpointV2<'a> {
    fn from(c: &'a ConversationRecord) -> Self {
        CheckpointV2 {
            conversation: (&c.conversation).into(),
            turns: c.turns.tail.clone(),
            paged: c.turns.paged,
        }
    }
}

impl From<CheckpointV2<'_>> for ConversationRecord {
    fn from(c: CheckpointV2<'_>) -> Self {
        ConversationRecord {
            conversation: c.conversation.into(),
            turns: TurnList {
                paged: c.paged,
                tail: c.turns,
            },
        }
    }
}

impl<'a> From<&'a EventBucket> for BucketV2<'a> {
    fn from(b: &'a EventBucket) -> Self {
        BucketV2 {
            written_at: b.written_at.into(),
            events: b.events.iter().map(|(e, t)| (e.into(), *t)).collect(),
        }
    }
}

impl From<BucketV2<'_>> for EventBucket {
    fn from(b: BucketV2<'_>) -> Self {
        EventBucket {
            written_at: b.written_at.into(),
            events: b.events.into_iter().map(|(e, t)| (e.into(), t)).collect(),
        }
    }
}

impl<'a> From<&'a Agent> for AgentDataRecord<'a> {
    fn from(a: &'a Agent) -> Self {
        AgentDataRecord {
            id: a.id.into(),
            account: a.account.0.clone(),
            name: a.name.clone(),
            profile: (&a.profile).into(),
            skills: a.skills.clone(),
            capacity: a.capacity,
        }
    }
}

impl From<AgentDataRecord<'_>> for Agent {
    fn from(a: AgentDataRecord<'_>) -> Self {
        Agent {
            id: a.id.into(),
            account: AccountId(a.account),
            name: a.name,
            profile: a.profile.into(),
            skills: a.skills,
            capacity: a.capacity,
        }
    }
}

impl From<AgentV2<'_>> for AgentRecord {
    fn from(a: AgentV2<'_>) -> Self {
        // Version 2 had no status: every agent it wrote was active.
        AgentRecord {
            agent: a.agent.into(),
            token_sha256: a.token_sha256,
            status: super::AgentStatus::Active,
        }
    }
}

impl<'a> From<&'a FailedRecord> for FailedV2<'a> {
    fn from(f: &'a FailedRecord) -> Self {
        FailedV2 {
            account: f.account.0.clone(),
            to: (&f.to).into(),
            message: (&f.message).into(),
            error: f.error.clone(),
        }
    }
}

impl From<FailedV2<'_>> for FailedRecord {
    fn from(f: FailedV2<'_>) -> Self {
        FailedRecord {
            account: AccountId(f.account),
            to: f.to.into(),
            message: f.message.into(),
            error: f.error,
        }
    }
}
