//! Durable state over sled, behind a typed handle: sled types never leave this module.
//!
//! Layout (see `keys`, and `docs/storage.md` for the measurements behind it): the hot path
//! appends one record per input to the turn log (`t`), and that is all a DM costs before it is
//! acknowledged; sled charges per key, so one key is what makes throughput. Conversations and
//! the event ids already taken in are checkpointed in the background by the engine; start-up
//! loads the checkpoint and replays the log from the marker. Everything lives in one sled tree
//! because a sled batch is atomic only within one tree. Values are a version byte, then JSON.
//!
//! Durability: `write` puts the writes in the journal and the overlay (readable at once; sled
//! takes them later, many batches in one, turns packed into chunks: `overlay`, `chunks`);
//! `flush` makes everything written so far survive a power cut (the journal's `fdatasync`). See
//! `durable` for how the journal and sled stay in step, and how start-up refuses a data dir
//! that lost changes.

mod backup;
mod chunks;
mod durable;
mod history;
mod kept;
mod keys;
mod listing;
mod overlay;
pub mod records;
mod recover;
mod state;
mod turn_files;
mod turn_log;
mod turn_pages;
mod writes;

use crate::domain::{Channel, Message, Timer, Timestamp};
use crate::journal::Journal;
use std::ops::Bound::{Excluded, Included};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use backup::{restore as restore_backup, Backup, BackupError, Counts, Restored, Snapshot};
pub use durable::{Barrier, JOURNAL_DIR, PID_FILE};
pub use kept::Kept;
pub use records::{
    AgentRecord, AgentStatus, ConversationRecord, EventBucket, EventRef, FailedRecord, Outbound,
    PlatformProfile, RetiredProfile, TurnRecord,
};
pub use recover::{recover, Recovery};
pub use state::FILE as STATE_FILE;
pub use turn_pages::TurnList;
pub use writes::WriteSet;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store record {key}: {message}")]
    Corrupt { key: String, message: String },
    /// The data dir lost something or cannot be read: one sentence, naming the file.
    #[error(
        "{}: {what}. Restore the data dir from a backup, or run `baton recover` to rebuild \
         what the journal holds",
        path.display()
    )]
    Damaged { path: PathBuf, what: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// sled's lock on the data dir is taken: another daemon (named by its pid file) has it.
    #[error("another baton{} is using {}", pid.map(|p| format!(" (pid {p})")).unwrap_or_default(), dir.display())]
    Locked { dir: PathBuf, pid: Option<u32> },
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
}

/// Values this size or smaller keep sled's tree nodes (split every 16 keys or so) under the
/// size at which sled writes a node to a file of its own under `blobs/`, anew at every change
/// of the node (and `fsync`ed at every barrier). Values written often and in numbers (turn
/// chunks, event buckets) are cut to it.
pub const VALUE_BYTES: usize = 6 * 1024;

/// Unapplied writes past which `write` applies them itself.
const OVERLAY_MAX_BYTES: usize = 64 << 20;

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    journal: Arc<Journal>,
    /// Held while a write is appended to the journal and put in the overlay: one order for both.
    order: Arc<Mutex<()>>,
    /// Writes in the journal that sled does not hold yet (see `overlay`).
    overlay: Arc<overlay::Overlay>,
    /// One `apply` at a time.
    applying: Arc<Mutex<()>>,
    /// The applied turn chunks' bytes (sled holds references to them).
    turn_files: Arc<turn_files::TurnFiles>,
    /// One barrier at a time, and the journal record the last one covered.
    barrier: Arc<Mutex<Option<u64>>>,
    dir: PathBuf,
}

/// Everything start-up needs: the checkpoint, and the log after it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub agents: Vec<AgentRecord>,
    /// The open conversations (those at rest stay in the store).
    pub conversations: Vec<ConversationRecord>,
    /// Event buckets by number, oldest first.
    pub buckets: Vec<(u64, EventBucket)>,
    pub next_bucket: u64,
    /// The first turn not (all) reflected in the checkpoint: replay from here
    /// (`Store::replay`, a page at a time).
    pub marker: u64,
    pub next_turn: u64,
    /// The deadlines kept as keys of their own (agents' grace), in deadline order.
    pub deadlines: Vec<(Timestamp, Timer)>,
}

impl Store {
    /// Makes every write so far survive a power cut: the journal's `fdatasync`. Blocking; many
    /// callers may share one (`engine::commit` groups them).
    pub fn flush(&self) -> Result<u64, StoreError> {
        Ok(self.journal.sync()?)
    }

    /// Takes `set` as one unit: in the journal (durable at the next `flush`), readable at once,
    /// and applied to sled atomically later (`apply`).
    pub fn write(&self, set: WriteSet) -> Result<(), StoreError> {
        if set.is_empty() {
            return Ok(());
        }
        let record = set.encode();
        {
            let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
            let lsn = self.journal.append(&record)?;
            self.overlay.put(lsn, set.into_ops());
        }
        // Applying is the committer's, in the background; a writer that finds it far behind
        // does it, so memory stays bounded however slow sled gets.
        if self.overlay.bytes() >= OVERLAY_MAX_BYTES {
            self.apply()?;
        }
        Ok(())
    }

    fn decode_all<T: records::Record>(&self, space: u8) -> Result<Vec<T>, StoreError> {
        self.prefix([space])
            .map(|kv| {
                let (k, v) = kv?;
                records::decode(&k, &v)
            })
            .collect()
    }

    pub fn load(&self) -> Result<Loaded, StoreError> {
        // Only the open ones: those at rest are read when their customer is back.
        let conversations = self.open_conversations()?;
        let mut buckets = Vec::new();
        for kv in self.prefix([keys::EVENTS]) {
            let (k, v) = kv?;
            let number = keys::turn_seq(&k).unwrap_or_default();
            buckets.push((number, records::decode(&k, &v)?));
        }
        let next_bucket = match self.last_key([keys::EVENTS])? {
            Some(k) => keys::turn_seq(&k).map_or(0, |n| n + 1),
            None => 0,
        };
        let marker = self.read_u64(&keys::marker())?.unwrap_or(0);
        let next_turn = self.next_turn()?;
        Ok(Loaded {
            agents: self.decode_all(keys::AGENT)?,
            conversations,
            buckets,
            next_bucket,
            marker,
            next_turn,
            deadlines: self.deadlines()?,
        })
    }

    /// The deadlines kept as keys of their own, in deadline order (the keys sort by time).
    pub fn deadlines(&self) -> Result<Vec<(Timestamp, Timer)>, StoreError> {
        self.prefix([keys::DEADLINE])
            .keys()
            .map(|k| {
                let k = k?;
                keys::parse_deadline(&k).ok_or_else(|| StoreError::Corrupt {
                    key: format!("{k:?}"),
                    message: "not a deadline key".into(),
                })
            })
            .collect()
    }

    fn read_u64(&self, key: &[u8]) -> Result<Option<u64>, StoreError> {
        Ok(self
            .get(key)?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    /// The messages of these turns, in order.
    pub fn transcript(&self, turns: &[u64]) -> Result<Vec<Message>, StoreError> {
        let mut messages = Vec::new();
        for &seq in turns {
            if let Some(t) = self.turn(seq)? {
                messages.extend(t.messages);
            }
        }
        Ok(messages)
    }

    pub fn event_bucket(&self, number: u64) -> Result<Option<EventBucket>, StoreError> {
        let key = keys::events(number);
        self.get(key)?
            .map(|v| records::decode(&key, &v))
            .transpose()
    }

    /// Events kept for an agent (sent, not yet acknowledged) numbered above `after`, in order.
    pub fn agent_events(
        &self,
        agent: crate::domain::AgentId,
        after: u64,
    ) -> Result<Vec<(u64, Kept)>, StoreError> {
        self.agent_event_range(agent, after)
            .map(|kv| {
                let (k, v) = kv?;
                Ok((keys::agent_event_seq(&k), kept::decode(&k, &v)?))
            })
            .collect()
    }

    /// The numbers of the events kept for an agent, up to and including `upto`.
    pub fn agent_event_seqs(
        &self,
        agent: crate::domain::AgentId,
        upto: u64,
    ) -> Result<Vec<u64>, StoreError> {
        let mut seqs = Vec::new();
        for kv in self.agent_event_range(agent, 0) {
            let seq = keys::agent_event_seq(&kv?.0);
            if seq > upto {
                break;
            }
            seqs.push(seq);
        }
        Ok(seqs)
    }

    fn agent_event_range(&self, agent: crate::domain::AgentId, after: u64) -> overlay::Merged {
        let from = keys::agent_event(agent, after.saturating_add(1));
        let to = keys::agent_event(agent, u64::MAX);
        self.range(Included(from.to_vec()), Excluded(to.to_vec()))
    }

    /// The next event number for an agent (1 for one never sent anything).
    pub fn agent_next_seq(&self, agent: crate::domain::AgentId) -> Result<u64, StoreError> {
        Ok(self.read_u64(&keys::agent_seq(agent))?.unwrap_or(1))
    }

    /// Every platform profile kept for `channel`, ordered by account and local id.
    pub fn platform_profiles(&self, channel: Channel) -> Result<Vec<PlatformProfile>, StoreError> {
        self.prefix(keys::platform_profiles(channel))
            .map(|kv| {
                let (k, v) = kv?;
                records::decode(&k, &v)
            })
            .collect()
    }

    /// Every turn below this is delivered on the channel.
    pub fn watermark(&self, channel: Channel) -> Result<u64, StoreError> {
        Ok(self.read_u64(&keys::watermark(channel))?.unwrap_or(0))
    }
}

#[cfg(test)]
mod power_cut;
#[cfg(test)]
pub(crate) mod tests;
