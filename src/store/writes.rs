//! A set of writes applied as one atomic unit: one journal record, then one sled batch.
//!
//! The same ops are written twice: encoded as the journal's record (what makes them durable,
//! and what start-up replays into sled after a crash) and applied to sled as a batch (where
//! they are read). Replaying a record is idempotent: each op sets or removes one key, so
//! applying a suffix of the journal over a sled that already holds part of it ends in the same
//! state. The record format (version 1): a version byte, then per op a tag byte (1 put, 2
//! remove), the key's length (u32 LE) and bytes, and for a put the value's length and bytes.

use super::keys;
use super::records::{
    encode, AgentRecord, ConversationRecord, EventBucket, FailedRecord, PlatformProfile, TurnRecord,
};
use crate::domain::{AccountId, AgentId, Channel, Timer, Timestamp};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSet {
    ops: Vec<Op>,
}

/// One key set to a value, or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Op {
    key: Vec<u8>,
    value: Option<Vec<u8>>,
}

const RECORD_VERSION: u8 = 1;
const PUT: u8 = 1;
const REMOVE: u8 = 2;

/// A journal record that is not a write set this build can read.
#[derive(Debug, thiserror::Error)]
#[error("journal record: {0}")]
pub struct BadRecord(pub &'static str);

impl WriteSet {
    pub fn turn(&mut self, seq: u64, turn: &TurnRecord) {
        self.insert(keys::turn(seq).to_vec(), encode(turn));
    }

    pub fn conversation(&mut self, record: &ConversationRecord) {
        let key = keys::conversation(record.conversation.id);
        self.insert(key.to_vec(), encode(record));
    }

    pub fn events(&mut self, number: u64, bucket: &EventBucket) {
        self.insert(keys::events(number).to_vec(), encode(bucket));
    }

    pub fn remove_events(&mut self, number: u64) {
        self.remove(keys::events(number).to_vec());
    }

    pub fn marker(&mut self, first_to_replay: u64) {
        self.insert(
            keys::marker().to_vec(),
            first_to_replay.to_be_bytes().to_vec(),
        );
    }

    pub fn watermark(&mut self, channel: Channel, below: u64) {
        self.insert(
            keys::watermark(channel).to_vec(),
            below.to_be_bytes().to_vec(),
        );
    }

    pub fn agent(&mut self, record: &AgentRecord) {
        self.insert(keys::agent(record.agent.id).to_vec(), encode(record));
    }

    /// An event sent to an agent as number `seq`, kept until acknowledged; the agent's next
    /// number becomes `seq + 1`.
    pub fn agent_event(&mut self, agent: AgentId, seq: u64, notice: &crate::domain::Notice) {
        self.insert(
            keys::agent_event(agent, seq).to_vec(),
            super::kept::encode(notice),
        );
        self.insert(
            keys::agent_seq(agent).to_vec(),
            (seq + 1).to_be_bytes().to_vec(),
        );
    }

    pub fn remove_agent_event(&mut self, agent: AgentId, seq: u64) {
        self.remove(keys::agent_event(agent, seq).to_vec());
    }

    /// Puts `timer`'s deadline in the scheduler's index.
    pub fn deadline(&mut self, at: Timestamp, timer: Timer) {
        self.insert(keys::deadline(at, timer).to_vec(), Vec::new());
    }

    pub fn remove_deadline(&mut self, at: Timestamp, timer: Timer) {
        self.remove(keys::deadline(at, timer).to_vec());
    }

    pub fn failed(&mut self, record: &FailedRecord) {
        let id = record.message.id;
        self.insert(
            keys::failed(id.conversation, id.seq).to_vec(),
            encode(record),
        );
    }

    /// The platform's profile for one of ours on `channel` (replacing what was kept for it).
    pub fn platform_profile(&mut self, channel: Channel, record: &PlatformProfile) {
        let key = keys::platform_profile(channel, &record.account, &record.local);
        self.insert(key, encode(record));
    }

    pub fn remove_platform_profile(&mut self, channel: Channel, account: &AccountId, local: &str) {
        self.remove(keys::platform_profile(channel, account, local));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub(super) fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push(Op {
            key,
            value: Some(value),
        });
    }

    pub(super) fn remove(&mut self, key: Vec<u8>) {
        self.ops.push(Op { key, value: None });
    }

    /// The journal's record of these writes.
    pub(super) fn encode(&self) -> Vec<u8> {
        let size: usize = self
            .ops
            .iter()
            .map(|op| 9 + op.key.len() + op.value.as_ref().map_or(0, Vec::len))
            .sum();
        let mut out = Vec::with_capacity(1 + size);
        out.push(RECORD_VERSION);
        for op in &self.ops {
            out.push(if op.value.is_some() { PUT } else { REMOVE });
            put_bytes(&mut out, &op.key);
            if let Some(v) = &op.value {
                put_bytes(&mut out, v);
            }
        }
        out
    }

    /// Reads a journal record back; never trusts a length beyond the bytes there are.
    pub(super) fn decode(mut bytes: &[u8]) -> Result<WriteSet, BadRecord> {
        let Some((&RECORD_VERSION, rest)) = bytes.split_first() else {
            return Err(BadRecord("an unknown version"));
        };
        bytes = rest;
        let mut ops = Vec::new();
        while let Some((&tag, rest)) = bytes.split_first() {
            bytes = rest;
            let key = take_bytes(&mut bytes)?;
            let value = match tag {
                PUT => Some(take_bytes(&mut bytes)?),
                REMOVE => None,
                _ => return Err(BadRecord("an unknown op")),
            };
            ops.push(Op { key, value });
        }
        Ok(WriteSet { ops })
    }

    /// The writes, in order: each key with its new value, or `None` for a removal.
    pub(super) fn into_ops(self) -> impl Iterator<Item = (Vec<u8>, Option<Vec<u8>>)> {
        self.ops.into_iter().map(|op| (op.key, op.value))
    }

    /// The sled batch of journal record `lsn`: the writes, and `j` set to `lsn` in the same
    /// atomic batch, so sled always knows exactly which records it holds (see `durable`).
    pub(super) fn into_batch_at(self, lsn: u64) -> sled::Batch {
        let mut batch = sled::Batch::default();
        batch.insert(&[keys::APPLIED], &lsn.to_be_bytes());
        for op in self.ops {
            match op.value {
                Some(v) => batch.insert(op.key, v),
                None => batch.remove(op.key),
            }
        }
        batch
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // A key or value over 4 GiB cannot be built by this crate (records are bounded far below).
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn take_bytes(bytes: &mut &[u8]) -> Result<Vec<u8>, BadRecord> {
    let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
        return Err(BadRecord("a cut length"));
    };
    let len = u32::from_le_bytes(*len) as usize;
    if len > rest.len() {
        return Err(BadRecord("a length past the end"));
    }
    let (taken, rest) = rest.split_at(len);
    *bytes = rest;
    Ok(taken.to_vec())
}
