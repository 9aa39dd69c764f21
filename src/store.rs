//! Durable state over sled, behind a typed handle: sled types never leave this module.
//!
//! Everything lives in one sled tree split into keyspaces (see `keys`), because a sled batch is
//! atomic only within one tree and every state transition must be written atomically with the
//! messages it produces. Values are a version byte followed by JSON.
//!
//! Durability: `flush` makes everything written so far survive a crash of the process. On Linux
//! sled flushes with `sync_file_range`, not `fsync` (sled issue 1452), so a power cut can still
//! lose the last moments.

mod keys;
mod records;
mod writes;

use crate::domain::{Author, Channel, Conversation, ConversationId, Message};
use std::path::Path;

pub use keys::seen as seen_key;
pub use records::{FailedRecord, Outbound, OutboxKey, OutboxRecord, TurnRecord};
pub use writes::WriteSet;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store record {key}: {message}")]
    Corrupt { key: String, message: String },
}

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
}

impl Store {
    /// Opens (or creates) the database in `dir`; `cache_bytes` caps sled's page cache.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let tree = db.open_tree("baton")?;
        Ok(Store { db, tree })
    }

    /// Makes every write so far durable (see the module docs for what that means on Linux).
    pub fn flush(&self) -> Result<usize, StoreError> {
        Ok(self.db.flush()?)
    }

    pub fn write(&self, set: WriteSet) -> Result<(), StoreError> {
        Ok(self.tree.apply_batch(set.into_batch())?)
    }

    /// Every conversation as last saved: the newer of its own record and the snapshot in its
    /// latest turn.
    pub fn conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix([keys::CONVERSATION]) {
            let (k, v) = kv?;
            let saved: Conversation = records::decode(&k, &v)?;
            let last_turn = self
                .tree
                .scan_prefix(keys::transcript_prefix(saved.id))
                .next_back();
            let in_turn = match last_turn {
                Some(kv) => {
                    let (k, v) = kv?;
                    records::decode::<TurnRecord>(&k, &v)?.conversation
                }
                None => None,
            };
            out.push(match in_turn {
                Some(c) if c.revision > saved.revision => c,
                _ => saved,
            });
        }
        Ok(out)
    }

    pub fn transcript(&self, id: ConversationId) -> Result<Vec<Message>, StoreError> {
        let mut messages = Vec::new();
        for kv in self.tree.scan_prefix(keys::transcript_prefix(id)) {
            let (k, v) = kv?;
            messages.extend(records::decode::<TurnRecord>(&k, &v)?.messages);
        }
        Ok(messages)
    }

    /// Whether this event was already taken in (the channel redelivered it).
    pub fn seen(&self, account: &str, channel: Channel, event: &str) -> Result<bool, StoreError> {
        Ok(self
            .tree
            .contains_key(keys::seen(account, channel, event))?)
    }

    /// Calls `f` with every stored event key (see [`seen_key`]).
    pub fn for_each_seen(&self, mut f: impl FnMut(&[u8])) -> Result<(), StoreError> {
        for kv in self.tree.scan_prefix([keys::SEEN]) {
            let (k, _) = kv?;
            f(&k);
        }
        Ok(())
    }

    /// The oldest outbox entries of a channel, in the order they were queued, each with the
    /// outgoing messages of its turn that are still to be delivered.
    pub fn outbox(&self, channel: Channel, limit: usize) -> Result<Vec<Outbound>, StoreError> {
        let mut out = Vec::new();
        for kv in self
            .tree
            .scan_prefix(keys::outbox_prefix(channel))
            .take(limit)
        {
            let (k, v) = kv?;
            let key = keys::outbox_key(&k).ok_or_else(|| StoreError::Corrupt {
                key: format!("{k:?}"),
                message: "bad outbox key".into(),
            })?;
            let record: OutboxRecord = records::decode(&k, &v)?;
            let turn_key = keys::message(record.conversation, record.turn);
            let turn: Vec<Message> = match self.tree.get(turn_key)? {
                Some(t) => records::decode::<TurnRecord>(&turn_key, &t)?.messages,
                None => Vec::new(),
            };
            let pending = turn
                .into_iter()
                .filter(|m| m.from != Author::Customer)
                .skip(record.sent)
                .collect();
            out.push(Outbound {
                key,
                record,
                pending,
            });
        }
        Ok(out)
    }

    /// The next outbox sequence number to use (one past the largest present).
    pub fn next_outbox_seq(&self) -> Result<u64, StoreError> {
        let mut next = 0;
        for ch in [Channel::Webhook, Channel::Twitter] {
            if let Some((k, _)) = self
                .tree
                .scan_prefix(keys::outbox_prefix(ch))
                .next_back()
                .transpose()?
            {
                if let Some(key) = keys::outbox_key(&k) {
                    next = next.max(key.seq + 1);
                }
            }
        }
        Ok(next)
    }

    /// Records a round of delivery: entries done are removed, entries part-way through are
    /// rewritten with their progress, and messages refused for good are kept aside.
    pub fn outbox_settle(
        &self,
        done: &[OutboxKey],
        progress: &[(OutboxKey, OutboxRecord)],
        failed: &[FailedRecord],
    ) -> Result<(), StoreError> {
        let mut set = WriteSet::default();
        for key in done {
            set.outbox_remove(*key);
        }
        for (key, record) in progress {
            set.outbox_put(*key, record);
        }
        for f in failed {
            set.failed(f);
        }
        self.write(set)
    }
}

#[cfg(test)]
mod tests;
