//! Record types the store persists beside the domain's, and their versioned encoding.

use super::StoreError;
use crate::domain::{AccountId, Channel, Conversation, ConversationId, Customer, Message};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The version byte in front of every value; bump it when a record's shape changes.
pub const VERSION: u8 = 1;

/// The messages one input produced in a conversation, and the conversation as that input
/// left it: most changes come with messages, so the snapshot rides along instead of costing a
/// write of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    pub messages: Vec<Message>,
}

/// Where an outgoing turn sits in its channel's outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutboxKey {
    pub channel: Channel,
    pub seq: u64,
}

/// An outbox entry: a turn of a conversation whose outgoing messages are not all delivered.
/// It points at the transcript record rather than copying the messages, so each message body
/// is written once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub account: AccountId,
    pub to: Customer,
    pub conversation: ConversationId,
    /// Sequence number of the turn's first message: the transcript record's key.
    pub turn: u64,
    /// How many of the turn's outgoing messages were already delivered.
    #[serde(default)]
    pub sent: usize,
}

/// What the outbox runner works on: an entry with the outgoing messages it still has to send.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub key: OutboxKey,
    pub record: OutboxRecord,
    pub pending: Vec<Message>,
}

/// An outgoing message the channel refused for good, kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRecord {
    pub account: AccountId,
    pub to: Customer,
    pub message: Message,
    pub error: String,
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(VERSION);
    // Serialising plain data to a Vec cannot fail; an error here would be a bug in a derive.
    if serde_json::to_writer(&mut out, value).is_err() {
        out.truncate(1);
    }
    out
}

pub fn decode<T: DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        message,
    };
    match value.split_first() {
        Some((&VERSION, json)) => serde_json::from_slice(json).map_err(|e| corrupt(e.to_string())),
        Some((v, _)) => Err(corrupt(format!("unknown record version {v}"))),
        None => Err(corrupt("empty record".into())),
    }
}
