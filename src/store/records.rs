//! Record types the store persists, and their versioned encoding.

use super::StoreError;
use crate::domain::{AccountId, Channel, Conversation, Customer, EventId, Message};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The version byte in front of every value; bump it when a record's shape changes.
pub const VERSION: u8 = 2;

/// An inbound event as the channel named it: processed once, however often delivered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventRef {
    pub account: AccountId,
    pub channel: Channel,
    pub id: EventId,
}

/// One input's effect on one conversation: the event it answers, the conversation as it left
/// it, and the messages it produced. The only record written per input; never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventRef>,
    pub conversation: Conversation,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
}

impl TurnRecord {
    /// The messages that go out to the customer.
    pub fn outgoing(&self) -> impl Iterator<Item = &Message> {
        self.messages
            .iter()
            .filter(|m| m.from != crate::domain::Author::Customer)
    }
}

/// Event ids taken in during one checkpoint interval, with the turns that took them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBucket {
    pub written_at: crate::domain::Timestamp,
    pub events: Vec<(EventRef, u64)>,
}

/// A checkpointed conversation: its snapshot and every turn it has, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRecord {
    pub conversation: Conversation,
    pub turns: Vec<u64>,
}

/// What the outbox runner works on: a turn's outgoing messages still to be delivered.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// The turn's sequence number.
    pub seq: u64,
    pub account: AccountId,
    pub to: Customer,
    pub pending: Vec<Message>,
    /// Outgoing messages of the turn already delivered before `pending`.
    pub skipped: usize,
}

impl Outbound {
    pub fn conversation(&self) -> Option<crate::domain::ConversationId> {
        self.pending.first().map(|m| m.id.conversation)
    }

    /// The outgoing part of a turn, if it has any.
    pub fn from_turn(seq: u64, turn: &TurnRecord) -> Option<Outbound> {
        let pending: Vec<Message> = turn.outgoing().cloned().collect();
        (!pending.is_empty()).then(|| Outbound {
            seq,
            account: turn.conversation.account.clone(),
            to: turn.conversation.customer.clone(),
            pending,
            skipped: 0,
        })
    }
}

/// An agent as stored: the token itself is never kept, only its SHA-256 (hex). Tokens carry
/// 256 random bits, so a fast hash is enough to make a stolen store useless for logging in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub agent: crate::domain::Agent,
    pub token_sha256: String,
}

/// An outgoing message the channel refused for good, kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRecord {
    pub account: AccountId,
    pub to: Customer,
    pub message: Message,
    pub error: String,
}

pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.push(VERSION);
    // Serialising plain data to a Vec cannot fail; an error here would be a bug in a derive.
    if serde_json::to_writer(&mut out, value).is_err() {
        out.truncate(1);
    }
    out
}

pub fn decode<T: DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        key: format!("{key:?}"),
        message,
    };
    match value.split_first() {
        Some((&VERSION, json)) => serde_json::from_slice(json).map_err(|e| corrupt(e.to_string())),
        Some((v, _)) => Err(corrupt(format!("unknown record version {v}"))),
        None => Err(corrupt("empty record".into())),
    }
}
