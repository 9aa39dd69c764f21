//! A set of writes applied as one atomic sled batch.

use super::keys;
use super::records::{encode, Outbound, OutboxKey};
use crate::domain::{Channel, Conversation, Message, Timestamp};

#[derive(Default)]
pub struct WriteSet {
    batch: sled::Batch,
    len: usize,
}

impl WriteSet {
    pub fn save_conversation(&mut self, c: &Conversation) {
        self.insert(keys::conversation(c.id).to_vec(), encode(c));
    }

    pub fn append_message(&mut self, m: &Message) {
        self.insert(
            keys::message(m.id.conversation, m.id.seq).to_vec(),
            encode(m),
        );
    }

    pub fn outbox_push(&mut self, key: OutboxKey, entry: &Outbound) {
        self.insert(keys::outbox(key).to_vec(), encode(entry));
    }

    pub fn outbox_remove(&mut self, key: OutboxKey) {
        self.batch.remove(&keys::outbox(key)[..]);
        self.len += 1;
    }

    pub fn outbox_fail(&mut self, key: OutboxKey, entry: &Outbound, why: &str) {
        let mut entry = entry.clone();
        entry.error = Some(why.to_owned());
        self.outbox_remove(key);
        self.insert(keys::failed(key).to_vec(), encode(&entry));
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
