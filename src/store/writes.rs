//! A set of writes applied as one atomic sled batch.

use super::keys;
use super::records::{encode, FailedRecord, OutboxKey, OutboxRecord, TurnRecord};
use crate::domain::{Channel, Conversation, Timestamp};

#[derive(Default)]
pub struct WriteSet {
    batch: sled::Batch,
    len: usize,
}

impl WriteSet {
    pub fn save_conversation(&mut self, c: &Conversation) {
        self.insert(keys::conversation(c.id).to_vec(), encode(c));
    }

    /// The messages one input produced, in order, as one transcript record, with the
    /// conversation as it left it.
    pub fn append_turn(&mut self, turn: &TurnRecord) {
        if let Some(first) = turn.messages.first() {
            let key = keys::message(first.id.conversation, first.id.seq);
            self.insert(key.to_vec(), encode(turn));
        }
    }

    pub fn outbox_put(&mut self, key: OutboxKey, record: &OutboxRecord) {
        self.insert(keys::outbox(key).to_vec(), encode(record));
    }

    pub fn outbox_remove(&mut self, key: OutboxKey) {
        self.batch.remove(&keys::outbox(key)[..]);
        self.len += 1;
    }

    pub fn failed(&mut self, record: &FailedRecord) {
        let id = record.message.id;
        self.insert(
            keys::failed(id.conversation, id.seq).to_vec(),
            encode(record),
        );
    }

    pub fn mark_seen(&mut self, account: &str, channel: Channel, event: &str, at: Timestamp) {
        self.insert(
            keys::seen(account, channel, event),
            at.0.to_be_bytes().to_vec(),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn insert(&mut self, k: Vec<u8>, v: Vec<u8>) {
        self.batch.insert(k, v);
        self.len += 1;
    }

    pub(super) fn into_batch(self) -> sled::Batch {
        self.batch
    }
}
