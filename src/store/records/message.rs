//! Messages as stored: the message, who wrote it, its quick replies and the profile it carries.

use super::absent::absent;
use super::text::{MessageRef, Time};
use crate::domain::{Attachment, AttachmentKind, Author, Message, Profile, QuickReply};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord<'a> {
    pub id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub avatar: Cow<'a, str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorRecord {
    Customer,
    Bot,
    Agent,
    System,
    Outside,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReplyRecord<'a> {
    pub label: Cow<'a, str>,
    pub payload: Cow<'a, str>,
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
/// Borrows the message's text when written (a turn is encoded on the engine's thread, and
/// copying each string first was a tenth of the allocations a DM made); owns it when read.
pub struct MessageRecord<'a> {
    pub id: MessageRef,
    pub from: AuthorRecord,
    pub text: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "absent")]
    pub payload: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "absent")]
    pub quick_replies: Vec<QuickReplyRecord<'a>>,
    /// Absent when empty, so records without attachments keep their bytes.
    #[serde(default, skip_serializing_if = "absent")]
    pub attachments: Vec<AttachmentRecord>,
    #[serde(default, skip_serializing_if = "absent")]
    pub profile: Option<ProfileRecord<'a>>,
    pub at: Time,
    pub epoch: u64,
}

impl<'a> From<&'a Profile> for ProfileRecord<'a> {
    fn from(p: &'a Profile) -> Self {
        ProfileRecord {
            id: Cow::Borrowed(&p.id),
            name: Cow::Borrowed(&p.name),
            avatar: Cow::Borrowed(&p.avatar),
        }
    }
}

impl From<ProfileRecord<'_>> for Profile {
    fn from(p: ProfileRecord<'_>) -> Self {
        Profile {
            id: p.id.into_owned(),
            name: p.name.into_owned(),
            avatar: p.avatar.into_owned(),
        }
    }
}

super::same_variants!(Author <=> AuthorRecord: Customer, Bot, Agent, System, Outside);
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

impl<'a> From<&'a QuickReply> for QuickReplyRecord<'a> {
    fn from(q: &'a QuickReply) -> Self {
        QuickReplyRecord {
            label: Cow::Borrowed(&q.label),
            payload: Cow::Borrowed(&q.payload),
        }
    }
}

impl From<QuickReplyRecord<'_>> for QuickReply {
    fn from(q: QuickReplyRecord<'_>) -> Self {
        QuickReply {
            label: q.label.into_owned(),
            payload: q.payload.into_owned(),
        }
    }
}

impl<'a> From<&'a Message> for MessageRecord<'a> {
    fn from(m: &'a Message) -> Self {
        MessageRecord {
            id: m.id.into(),
            from: m.from.into(),
            text: Cow::Borrowed(&m.text),
            payload: m.payload.as_deref().map(Cow::Borrowed),
            quick_replies: m.quick_replies.iter().map(Into::into).collect(),
            attachments: m.attachments.iter().map(Into::into).collect(),
            profile: m.profile.as_ref().map(Into::into),
            at: m.at.into(),
            epoch: m.epoch,
        }
    }
}

impl From<MessageRecord<'_>> for Message {
    fn from(m: MessageRecord<'_>) -> Self {
        Message {
            id: m.id.into(),
            from: m.from.into(),
            text: m.text.into_owned(),
            payload: m.payload.map(Cow::into_owned),
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
