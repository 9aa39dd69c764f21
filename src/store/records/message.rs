//! Messages as stored: the message, who wrote it, its quick replies and the profile it carries.

use super::text::{MessageRef, Time};
use crate::domain::{Author, Message, Profile, QuickReply};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord {
    pub id: String,
    pub name: String,
    pub avatar: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorRecord {
    Customer,
    Bot,
    Agent,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReplyRecord {
    pub label: String,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: MessageRef,
    pub from: AuthorRecord,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReplyRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRecord>,
    pub at: Time,
    pub epoch: u64,
}

impl From<&Profile> for ProfileRecord {
    fn from(p: &Profile) -> Self {
        ProfileRecord {
            id: p.id.clone(),
            name: p.name.clone(),
            avatar: p.avatar.clone(),
        }
    }
}

impl From<ProfileRecord> for Profile {
    fn from(p: ProfileRecord) -> Self {
        Profile {
            id: p.id,
            name: p.name,
            avatar: p.avatar,
        }
    }
}

super::same_variants!(Author <=> AuthorRecord: Customer, Bot, Agent, System);

impl From<&QuickReply> for QuickReplyRecord {
    fn from(q: &QuickReply) -> Self {
        QuickReplyRecord {
            label: q.label.clone(),
            payload: q.payload.clone(),
        }
    }
}

impl From<QuickReplyRecord> for QuickReply {
    fn from(q: QuickReplyRecord) -> Self {
        QuickReply {
            label: q.label,
            payload: q.payload,
        }
    }
}

impl From<&Message> for MessageRecord {
    fn from(m: &Message) -> Self {
        MessageRecord {
            id: m.id.into(),
            from: m.from.into(),
            text: m.text.clone(),
            payload: m.payload.clone(),
            quick_replies: m.quick_replies.iter().map(Into::into).collect(),
            profile: m.profile.as_ref().map(Into::into),
            at: m.at.into(),
            epoch: m.epoch,
        }
    }
}

impl From<MessageRecord> for Message {
    fn from(m: MessageRecord) -> Self {
        Message {
            id: m.id.into(),
            from: m.from.into(),
            text: m.text,
            payload: m.payload,
            quick_replies: m.quick_replies.into_iter().map(Into::into).collect(),
            profile: m.profile.map(Into::into),
            at: m.at.into(),
            epoch: m.epoch,
        }
    }
}
