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

use crate::domain::{Channel, Conversation, ConversationId, Message};
use std::path::Path;

pub use records::{Outbound, OutboxKey};
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

    pub fn conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        self.tree
            .scan_prefix([keys::CONVERSATION])
            .map(|kv| {
                let (k, v) = kv?;
                records::decode(&k, &v)
            })
            .collect()
    }

    pub fn transcript(&self, id: ConversationId) -> Result<Vec<Message>, StoreError> {
        self.tree
            .scan_prefix(keys::transcript_prefix(id))
            .map(|kv| {
                let (k, v) = kv?;
                records::decode(&k, &v)
            })
            .collect()
    }

    /// Whether this event was already taken in (the channel redelivered it).
    pub fn seen(&self, account: &str, channel: Channel, event: &str) -> Result<bool, StoreError> {
        Ok(self
            .tree
            .contains_key(keys::seen(account, channel, event))?)
    }

    /// The oldest outbox entries of a channel, in the order they were queued.
    pub fn outbox(
        &self,
        channel: Channel,
        limit: usize,
    ) -> Result<Vec<(OutboxKey, Outbound)>, StoreError> {
        self.tree
            .scan_prefix(keys::outbox_prefix(channel))
            .take(limit)
            .map(|kv| {
                let (k, v) = kv?;
                let key = keys::outbox_key(&k).ok_or_else(|| StoreError::Corrupt {
                    key: format!("{k:?}"),
                    message: "bad outbox key".into(),
                })?;
                Ok((key, records::decode(&k, &v)?))
            })
            .collect()
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

    /// Removes delivered entries; entries failed for good are kept aside, not dropped.
    pub fn outbox_settle(
        &self,
        delivered: &[OutboxKey],
        failed: &[(OutboxKey, Outbound, String)],
    ) -> Result<(), StoreError> {
        let mut set = WriteSet::default();
        for key in delivered {
            set.outbox_remove(*key);
        }
        for (key, entry, why) in failed {
            set.outbox_fail(*key, entry, why);
        }
        self.write(set)
    }

    pub fn failed_count(&self) -> usize {
        self.tree.scan_prefix([keys::FAILED]).count()
    }
}
