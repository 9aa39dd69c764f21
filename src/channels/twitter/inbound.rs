//! Decodes an Account Activity delivery: a pure function of the body. Every event becomes one
//! closed variant, so a message the brand itself sent (an echo) can never pass for a customer's.

use crate::domain::{AccountId, Attachment, AttachmentKind, Channel, CustomerId, EventId};
use crate::engine::Inbound;
use foldhash::HashMap;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Limits that keep ids usable as store keys and texts within what the platform sends.
const MAX_ID: usize = 64;
const MAX_TEXT_CHARS: usize = 10_000;
const MAX_PAYLOAD: usize = 1_000;
const MAX_URL: usize = 2_048;
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwitterError {
    #[error("{0}")]
    Malformed(String),
    #[error("missing x-twitter-webhooks-signature header")]
    MissingSignature,
    #[error("signature does not match the body")]
    BadSignature,
}

/// One delivery: the brand account it is for and what happened, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The brand's numeric user id.
    pub for_user_id: String,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A customer wrote to the brand.
    Message(CustomerMessage),
    /// The brand's account sent a message (through Baton or any other app).
    Echo(Echo),
    /// The customer is typing.
    Typing { customer: String },
    /// The customer read the conversation up to `last_read` (an event id).
    Read {
        customer: String,
        last_read: Option<String>,
    },
    /// Something Baton does not use, by the delivery's key for it.
    Ignored(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMessage {
    pub id: String,
    pub customer: String,
    pub name: Option<String>,
    pub screen_name: Option<String>,
    pub text: String,
    /// The metadata of the quick-reply option the customer picked.
    pub payload: Option<String>,
    pub attachments: Vec<Attachment>,
    /// `created_timestamp`, in milliseconds since the epoch.
    pub at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    pub id: String,
    pub recipient: String,
    pub source_app_id: Option<String>,
    /// What the brand's account wrote, and the media it sent.
    pub text: String,
    pub attachments: Vec<Attachment>,
}

impl CustomerMessage {
    /// The engine's input for this message; the event id is what makes a redelivery a
    /// duplicate.
    pub fn into_inbound(self, account: AccountId) -> Inbound {
        Inbound {
            event: EventId(self.id),
            account,
            channel: Channel::Twitter,
            customer: CustomerId(self.customer),
            name: self.name.or(self.screen_name),
            text: self.text,
            payload: self.payload,
            attachments: self.attachments,
        }
    }
}

const DM_EVENTS: &str = "direct_message_events";
const TYPING_EVENTS: &str = "direct_message_indicate_typing_events";
const READ_EVENTS: &str = "direct_message_mark_read_events";

#[derive(Deserialize)]
struct Body {
    for_user_id: String,
    #[serde(default)]
    direct_message_events: Vec<DmEvent>,
    #[serde(default)]
    direct_message_indicate_typing_events: Vec<Signal>,
    #[serde(default)]
    direct_message_mark_read_events: Vec<Signal>,
    #[serde(default)]
    users: HashMap<String, User>,
    /// Every other key: `*_events` arrays are kinds Baton ignores, the rest is context.
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct DmEvent {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    created_timestamp: String,
    message_create: Option<MessageCreate>,
}

#[derive(Deserialize)]
struct MessageCreate {
    target: Target,
    sender_id: String,
    source_app_id: Option<String>,
    #[serde(default)]
    message_data: MessageData,
}

#[derive(Deserialize)]
struct Target {
    recipient_id: String,
}

#[derive(Deserialize, Default)]
struct MessageData {
    #[serde(default)]
    text: String,
    quick_reply_response: Option<QuickReplyResponse>,
    attachment: Option<AttachmentBody>,
}

#[derive(Deserialize)]
struct QuickReplyResponse {
    metadata: Option<String>,
}

#[derive(Deserialize)]
struct AttachmentBody {
    #[serde(rename = "type")]
    kind: String,
    media: Option<Media>,
}

#[derive(Deserialize)]
struct Media {
    #[serde(rename = "type")]
    kind: String,
    media_url_https: Option<String>,
}

#[derive(Deserialize)]
struct Signal {
    sender_id: String,
    last_read_event_id: Option<String>,
}

#[derive(Deserialize)]
struct User {
    name: Option<String>,
    screen_name: Option<String>,
}

fn malformed(m: impl Into<String>) -> TwitterError {
    TwitterError::Malformed(m.into())
}

fn check_id(field: &str, v: &str) -> Result<(), TwitterError> {
    if v.is_empty() || v.len() > MAX_ID || v.contains(|c: char| c.is_control()) {
        return Err(malformed(format!(
            "{field} must be 1-{MAX_ID} bytes without control characters"
        )));
    }
    Ok(())
}

fn clean_name(n: &Option<String>) -> Option<String> {
    n.as_deref()
        .map(|n| n.trim().chars().take(MAX_NAME_CHARS).collect::<String>())
        .filter(|n| !n.is_empty())
}

/// Parses and checks a delivery; which account it is for is the caller's question.
pub fn parse(body: &[u8]) -> Result<Delivery, TwitterError> {
    let b: Body =
        serde_json::from_slice(body).map_err(|e| malformed(format!("invalid delivery: {e}")))?;
    check_id("for_user_id", &b.for_user_id)?;
    let us = b.for_user_id.as_str();
    let mut events = Vec::new();
    for e in &b.direct_message_events {
        events.push(dm_event(e, us, &b.users)?);
    }
    for s in &b.direct_message_indicate_typing_events {
        check_id("sender_id", &s.sender_id)?;
        events.push(if s.sender_id == us {
            Event::Ignored(TYPING_EVENTS.into())
        } else {
            Event::Typing {
                customer: s.sender_id.clone(),
            }
        });
    }
    for s in &b.direct_message_mark_read_events {
        check_id("sender_id", &s.sender_id)?;
        events.push(if s.sender_id == us {
            Event::Ignored(READ_EVENTS.into())
        } else {
            Event::Read {
                customer: s.sender_id.clone(),
                last_read: s.last_read_event_id.clone(),
            }
        });
    }
    for (key, value) in &b.other {
        if key.ends_with("_events") {
            let n = value.as_array().map_or(1, Vec::len);
            events.extend((0..n).map(|_| Event::Ignored(key.clone())));
        }
    }
    Ok(Delivery {
        for_user_id: b.for_user_id,
        events,
    })
}

fn dm_event(e: &DmEvent, us: &str, users: &HashMap<String, User>) -> Result<Event, TwitterError> {
    let mc = match (&e.message_create, e.kind.as_str()) {
        (Some(mc), "message_create") => mc,
        _ => return Ok(Event::Ignored(DM_EVENTS.into())),
    };
    check_id("id", &e.id)?;
    check_id("sender_id", &mc.sender_id)?;
    check_id("recipient_id", &mc.target.recipient_id)?;
    let data = &mc.message_data;
    let text_checked = || {
        if data.text.chars().count() > MAX_TEXT_CHARS {
            return Err(malformed(format!(
                "text is longer than {MAX_TEXT_CHARS} characters"
            )));
        }
        Ok(data.text.clone())
    };
    if mc.sender_id == us {
        return Ok(Event::Echo(Echo {
            id: e.id.clone(),
            recipient: mc.target.recipient_id.clone(),
            source_app_id: mc.source_app_id.clone(),
            text: text_checked()?,
            attachments: data.attachment.iter().filter_map(attachment).collect(),
        }));
    }
    if mc.target.recipient_id != us {
        // Neither from nor to the brand: not a conversation Baton holds.
        return Ok(Event::Ignored(DM_EVENTS.into()));
    }
    let at_ms = e
        .created_timestamp
        .parse::<u64>()
        .map_err(|_| malformed("created_timestamp must be milliseconds since the epoch"))?;
    let text = text_checked()?;
    let payload = data
        .quick_reply_response
        .as_ref()
        .and_then(|q| q.metadata.clone())
        .filter(|p| !p.is_empty());
    if payload.as_ref().is_some_and(|p| p.len() > MAX_PAYLOAD) {
        return Err(malformed(format!(
            "quick_reply_response.metadata is longer than {MAX_PAYLOAD} bytes"
        )));
    }
    let attachments: Vec<Attachment> = data.attachment.iter().filter_map(attachment).collect();
    if text.trim().is_empty() && payload.is_none() && attachments.is_empty() {
        return Ok(Event::Ignored(DM_EVENTS.into()));
    }
    let user = users.get(&mc.sender_id);
    Ok(Event::Message(CustomerMessage {
        id: e.id.clone(),
        customer: mc.sender_id.clone(),
        name: user.and_then(|u| clean_name(&u.name)),
        screen_name: user.and_then(|u| clean_name(&u.screen_name)),
        text,
        payload,
        attachments,
        at_ms,
    }))
}

/// Media Baton can show an agent; anything else stays only as the link in the text.
fn attachment(a: &AttachmentBody) -> Option<Attachment> {
    let media = a.media.as_ref().filter(|_| a.kind == "media")?;
    let kind = match media.kind.as_str() {
        "photo" => AttachmentKind::Photo,
        "video" => AttachmentKind::Video,
        "animated_gif" => AttachmentKind::AnimatedGif,
        _ => return None,
    };
    let url = media
        .media_url_https
        .clone()
        .filter(|u| u.starts_with("https://") && u.len() <= MAX_URL)?;
    Some(Attachment { kind, url })
}

#[cfg(test)]
mod tests;
