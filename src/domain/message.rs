//! Messages of a transcript and the Custom Profile each outgoing one is signed with.

use super::ids::{MessageId, Timestamp};

/// A Custom Profile: who the customer sees as the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub avatar: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Customer,
    Bot,
    Agent,
    System,
    /// A person writing from the brand's account in another app (not sent by Baton).
    Outside,
}

impl Author {
    /// Whether Baton sends this author's messages to the customer: not the customer's own, nor
    /// an answer the platform already delivered from another app.
    pub fn sent_by_baton(self) -> bool {
        matches!(self, Author::Bot | Author::Agent | Author::System)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickReply {
    pub label: String,
    pub payload: String,
}

/// What a customer sent beside the text (a photo, a video), where the platform keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub kind: AttachmentKind,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Photo,
    Video,
    AnimatedGif,
}

/// One message, in or out. Outgoing messages carry the profile in force when they were created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub from: Author,
    pub text: String,
    pub payload: Option<String>,
    pub quick_replies: Vec<QuickReply>,
    /// What a customer sent beside the text; always empty on outgoing messages.
    pub attachments: Vec<Attachment>,
    pub profile: Option<Profile>,
    pub at: Timestamp,
    /// The conversation's ownership epoch when the message was created.
    pub epoch: u64,
}
