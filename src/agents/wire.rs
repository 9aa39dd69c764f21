//! The JSON shapes of the values agents are shown (messages, customers, tickets, profiles,
//! agents, conversations offered): types of their own, converted from the domain's, so a change
//! inside the domain cannot change what clients read. The admin API shows the same shapes.

use crate::domain::{
    Agent, Attachment, AttachmentKind, Author, Card, Customer, Message, Presence, Profile,
    QuickReply, Ticket,
};
use crate::rules::Canned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileJson {
    pub id: String,
    pub name: String,
    pub avatar: String,
}

impl From<&Profile> for ProfileJson {
    fn from(p: &Profile) -> Self {
        ProfileJson {
            id: p.id.clone(),
            name: p.name.clone(),
            avatar: p.avatar.clone(),
        }
    }
}

/// A canned reply an agent can pick (`[[canned]]` in the rules): its `text` is the template as
/// written, `{customer.name}` and all, for the client to fill in and the agent to edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CannedJson {
    pub name: String,
    pub text: String,
}

impl From<&Canned> for CannedJson {
    fn from(c: &Canned) -> Self {
        CannedJson {
            name: c.name.clone(),
            text: c.text.source().to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerJson {
    pub channel: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<&Customer> for CustomerJson {
    fn from(c: &Customer) -> Self {
        CustomerJson {
            channel: c.channel.as_str(),
            id: c.id.to_string(),
            name: c.name.clone(),
        }
    }
}

/// Why and how urgently a conversation waits; flattened into the object that carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketJson {
    pub reason: String,
    pub priority: u8,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    pub queued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub told_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patience_from: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub apologies: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl From<&Ticket> for TicketJson {
    fn from(t: &Ticket) -> Self {
        TicketJson {
            reason: t.reason.clone(),
            priority: t.priority,
            skills: t.skills.clone(),
            queued_at: t.queued_at.to_string(),
            note: t.note.clone(),
            told_at: t.told_at.map(|t| t.to_string()),
            patience_from: t.patience_from.map(|t| t.to_string()),
            apologies: t.apologies,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuickReplyJson {
    pub label: String,
    pub payload: String,
}

impl From<&QuickReply> for QuickReplyJson {
    fn from(q: &QuickReply) -> Self {
        QuickReplyJson {
            label: q.label.clone(),
            payload: q.payload.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageJson {
    pub id: String,
    /// `customer`, `bot`, `agent` or `system`.
    pub from: &'static str,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReplyJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileJson>,
    pub at: String,
    pub epoch: u64,
}

/// Who wrote a message, as every edge spells it (the agent protocol, the admin API, exports).
pub fn author(from: Author) -> &'static str {
    match from {
        Author::Customer => "customer",
        Author::Bot => "bot",
        Author::Agent => "agent",
        Author::System => "system",
        Author::Outside => "outside",
    }
}

impl From<&Message> for MessageJson {
    fn from(m: &Message) -> Self {
        MessageJson {
            id: m.id.to_string(),
            from: author(m.from),
            text: m.text.clone(),
            payload: m.payload.clone(),
            quick_replies: m.quick_replies.iter().map(QuickReplyJson::from).collect(),
            attachments: m.attachments.iter().map(AttachmentJson::from).collect(),
            profile: m.profile.as_ref().map(ProfileJson::from),
            at: m.at.to_string(),
            epoch: m.epoch,
        }
    }
}

/// Media a customer sent: `{"kind": "photo" | "video" | "animated_gif", "url": "https://…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentJson {
    pub kind: &'static str,
    pub url: String,
}

impl From<&Attachment> for AttachmentJson {
    fn from(a: &Attachment) -> Self {
        AttachmentJson {
            kind: match a.kind {
                AttachmentKind::Photo => "photo",
                AttachmentKind::Video => "video",
                AttachmentKind::AnimatedGif => "animated_gif",
            },
            url: a.url.clone(),
        }
    }
}

pub fn messages(list: &[Message]) -> Vec<MessageJson> {
    list.iter().map(MessageJson::from).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentJson {
    pub id: String,
    pub account: String,
    pub name: String,
    pub profile: ProfileJson,
    pub skills: Vec<String>,
    pub capacity: u32,
}

impl From<&Agent> for AgentJson {
    fn from(a: &Agent) -> Self {
        AgentJson {
            id: a.id.to_string(),
            account: a.account.to_string(),
            name: a.name.clone(),
            profile: (&a.profile).into(),
            skills: a.skills.clone(),
            capacity: a.capacity,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceJson {
    Available,
    Away,
}

impl From<Presence> for PresenceJson {
    fn from(p: Presence) -> Self {
        match p {
            Presence::Available => PresenceJson::Available,
            Presence::Away => PresenceJson::Away,
        }
    }
}

impl From<PresenceJson> for Presence {
    fn from(p: PresenceJson) -> Self {
        match p {
            PresenceJson::Available => Presence::Available,
            PresenceJson::Away => Presence::Away,
        }
    }
}

/// A conversation as an offer or assignment shows it: who, why, and the newest messages
/// (`earlier`: the conversation has older ones than these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardJson {
    pub id: String,
    pub account: String,
    pub customer: CustomerJson,
    #[serde(flatten)]
    pub ticket: Option<TicketJson>,
    pub transcript: Vec<MessageJson>,
    pub earlier: bool,
}

impl From<&Card> for CardJson {
    fn from(c: &Card) -> Self {
        CardJson {
            id: c.id.to_string(),
            account: c.account.to_string(),
            customer: (&c.customer).into(),
            ticket: c.ticket.as_ref().map(TicketJson::from),
            transcript: messages(&c.transcript),
            earlier: c.earlier,
        }
    }
}
