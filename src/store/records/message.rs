//! Messages as stored: the message, who wrote it, its quick replies and the profile it carries.

use super::text::{MessageRef, Time};
use crate::domain::{Attachment, AttachmentKind, Author, Message, Profile, QuickReply};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKindRecord {
    Photo,
    Video,
    AnimatedGif,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub kind: AttachmentKindRecord,
    pub url: String,
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
    /// Absent when empty, so records without attachments keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRecord>,
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
super::same_variants!(AttachmentKind <=> AttachmentKindRecord: Photo, Video, AnimatedGif);

impl From<&Attachment> for AttachmentRecord {
    fn from(a: &Attachment) -> Self {
        AttachmentRecord {
            kind: a.kind.into(),
            url: a.url.clone(),
        }
    }
}

impl From<AttachmentRecord> for Attachment {
    fn from(a: AttachmentRecord) -> Self {
        Attachment {
            kind: a.kind.into(),
            url: a.url,
        }
    }
}

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
            attachments: m.attachments.iter().map(Into::into).collect(),
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
            attachments: m.attachments.into_iter().map(Into::into).collect(),
            profile: m.profile.map(Into::into),
            at: m.at.into(),
            epoch: m.epoch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConversationId, MessageId, Timestamp};

    #[test]
    fn attachments_round_trip_and_are_absent_when_empty() {
        let mut m = Message {
            id: MessageId {
                conversation: ConversationId(1),
                seq: 2,
            },
            from: Author::Customer,
            text: "look".into(),
            payload: None,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
            profile: None,
            at: Timestamp(1_767_225_701_000),
            epoch: 0,
        };
        let json = serde_json::to_string(&MessageRecord::from(&m)).unwrap();
        assert!(!json.contains("attachments"), "{json}");
        m.attachments = vec![
            Attachment {
                kind: AttachmentKind::Photo,
                url: "https://ton.twitter.com/a.jpg".into(),
            },
            Attachment {
                kind: AttachmentKind::AnimatedGif,
                url: "https://pbs.twimg.com/b.jpg".into(),
            },
        ];
        let json = serde_json::to_string(&MessageRecord::from(&m)).unwrap();
        assert!(
            json.contains(r#""attachments":[{"kind":"photo","url":"https://ton.twitter.com/a.jpg"},{"kind":"animated_gif""#),
            "{json}"
        );
        let back: MessageRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(Message::from(back), m);
    }
}
