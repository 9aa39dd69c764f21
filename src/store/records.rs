//! Record types the store persists beside the domain's, and their versioned encoding.

use super::StoreError;
use crate::domain::{AccountId, Channel, Customer, Message};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The version byte in front of every value; bump it when a record's shape changes.
pub const VERSION: u8 = 1;

/// Where an outgoing message sits in its channel's outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutboxKey {
    pub channel: Channel,
    pub seq: u64,
}

/// An outgoing message waiting to be delivered to the customer's channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    pub account: AccountId,
    pub to: Customer,
    pub message: Message,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
