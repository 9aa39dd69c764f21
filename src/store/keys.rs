//! Key layout of the one tree: a keyspace byte, then big-endian numbers so order is numeric.

use super::records::OutboxKey;
use crate::domain::{Channel, ConversationId};

pub const CONVERSATION: u8 = b'c';
pub const MESSAGE: u8 = b'm';
pub const OUTBOX: u8 = b'o';
pub const SEEN: u8 = b'e';
pub const FAILED: u8 = b'x';

pub fn conversation(id: ConversationId) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = CONVERSATION;
    k[1..].copy_from_slice(&id.0.to_be_bytes());
    k
}

pub fn transcript_prefix(id: ConversationId) -> [u8; 9] {
    let mut k = conversation(id);
    k[0] = MESSAGE;
    k
}

pub fn message(id: ConversationId, seq: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[..9].copy_from_slice(&transcript_prefix(id));
    k[9..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn channel_byte(c: Channel) -> u8 {
    match c {
        Channel::Webhook => b'w',
        Channel::Twitter => b't',
    }
}

pub fn outbox_prefix(c: Channel) -> [u8; 2] {
    [OUTBOX, channel_byte(c)]
}

pub fn outbox(key: OutboxKey) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[..2].copy_from_slice(&outbox_prefix(key.channel));
    k[2..].copy_from_slice(&key.seq.to_be_bytes());
    k
}

pub fn failed(id: ConversationId, seq: u64) -> [u8; 17] {
    let mut k = message(id, seq);
    k[0] = FAILED;
    k
}

pub fn outbox_key(k: &[u8]) -> Option<OutboxKey> {
    let channel = match *k.get(1)? {
        b'w' => Channel::Webhook,
        b't' => Channel::Twitter,
        _ => return None,
    };
    let seq = u64::from_be_bytes(k.get(2..10)?.try_into().ok()?);
    Some(OutboxKey { channel, seq })
}

/// Event ids are scoped to the account and channel that delivered them; NUL cannot occur in
/// the ids we accept, so it separates the parts unambiguously.
pub fn seen(account: &str, channel: Channel, event: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + account.len() + event.len());
    k.push(SEEN);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.push(channel_byte(channel));
    k.extend_from_slice(event.as_bytes());
    k
}
