//! A set of writes applied as one atomic sled batch.

use super::keys;
use super::records::{
    encode, AgentRecord, ConversationRecord, EventBucket, FailedRecord, PlatformProfile, TurnRecord,
};
use crate::domain::{AccountId, AgentId, Channel, Timer, Timestamp};

#[derive(Default)]
pub struct WriteSet {
    batch: sled::Batch,
    len: usize,
}

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
        self.batch.remove(&keys::events(number)[..]);
        self.len += 1;
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
        self.batch.remove(&keys::agent_event(agent, seq)[..]);
        self.len += 1;
    }

    /// Puts `timer`'s deadline in the scheduler's index.
    pub fn deadline(&mut self, at: Timestamp, timer: Timer) {
        self.insert(keys::deadline(at, timer).to_vec(), Vec::new());
    }

    pub fn remove_deadline(&mut self, at: Timestamp, timer: Timer) {
        self.batch.remove(&keys::deadline(at, timer)[..]);
        self.len += 1;
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
        self.batch
            .remove(keys::platform_profile(channel, account, local));
        self.len += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn insert(&mut self, k: Vec<u8>, v: Vec<u8>) {
        self.batch.insert(k, v);
        self.len += 1;
    }

    pub(super) fn remove(&mut self, key: Vec<u8>) {
        self.batch.remove(key);
        self.len += 1;
    }

    pub(super) fn into_batch(self) -> sled::Batch {
        self.batch
    }
}
