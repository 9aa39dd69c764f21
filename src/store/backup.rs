//! Backups: one point in time of the whole store as a file of our own, and restoring such a
//! file into an empty data dir.
//!
//! - **Consistency.** `Store::snapshot` holds the `order` lock (every write takes it while it
//!   appends to the journal and puts its writes in the overlay), applies the overlay to sled
//!   and walks the tree, so the copy is sled exactly after one journal record: writes wait
//!   meanwhile. The turns already written are applied and copied before the lock (a turn, single
//!   or in a chunk, never changes, and a later chunk starts after them), which takes most of the
//!   walk out of the wait. Values are sled's own refcounted buffers, so the walk copies little;
//!   encoding happens after the lock is let go. Everything acknowledged before the snapshot
//!   started is in it (a write is in the overlay before its flush).
//! - **Format** (version 1): the magic `BATONBAK`, a version byte, the journal record the
//!   snapshot is exactly after (u64 LE), the number of pairs (u64 LE); then per pair the key's
//!   length (u32 LE) and bytes and the value's length and bytes; then a CRC32 of everything
//!   before it (u32 LE). The `j` key is left out: a restored store numbers its own journal.
//! - **Restore** reads and verifies the whole file before it creates anything, refuses a data
//!   dir that is not empty, then writes the pairs in write sets into a new store and takes a
//!   barrier, so the result is as durable as any data dir after a barrier.

use super::{chunks, keys, Store, StoreError, WriteSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"BATONBAK";
const VERSION: u8 = 1;
const HEADER: usize = 8 + 1 + 8 + 8;
const TRAILER: usize = 4;
/// Pairs per write set when restoring: big batches, bounded memory in the journal's buffer.
const RESTORE_BATCH_BYTES: usize = 4 << 20;
/// A barrier this often while restoring, so the journal does not hold the whole store.
const RESTORE_BARRIER_BYTES: usize = 64 << 20;

/// The store at one point in time, ready to be written as a backup file.
pub struct Snapshot {
    /// The journal record this copy is exactly after.
    pub after: u64,
    pairs: Vec<(sled::IVec, sled::IVec)>,
}

/// What a backup holds, by keyspace (what the command line prints).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub keys: u64,
    /// Checkpointed conversations (`c`); newer ones are in their turns until the next one.
    pub conversations: u64,
    pub turns: u64,
    pub agents: u64,
}

impl Counts {
    fn add(&mut self, key: &[u8], value: &[u8]) {
        self.keys += 1;
        match key.first() {
            Some(&keys::CONVERSATION) => self.conversations += 1,
            Some(&keys::TURN) if chunks::is_chunk(key) => {
                self.turns += chunks::Chunk::parse(value).map_or(0, |c| c.len() as u64)
            }
            Some(&keys::TURN) => self.turns += 1,
            Some(&keys::AGENT) => self.agents += 1,
            _ => {}
        }
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} keys: {} conversations checkpointed, {} turns, {} agents",
            self.keys, self.conversations, self.turns, self.agents
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{}: {what}; nothing was restored", path.display())]
    Bad { path: PathBuf, what: String },
    #[error(
        "{} is not empty: restore writes only into an empty or new data dir, so that nothing \
         there is overwritten or mixed in",
        dir.display()
    )]
    NotEmpty { dir: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "writing the restored store in {}: {source}; remove what was written there before \
         trying again",
        dir.display()
    )]
    Store { dir: PathBuf, source: StoreError },
}

impl Store {
    /// Copies every key and value at one point in time (see the module docs); writes wait
    /// while the keys other than the settled turns are walked.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        // Turns are written once, in order, by the engine alone, and never changed or removed:
        // those already in sled are the same at any later moment, so they are copied before
        // the lock is taken (most of a store's keys and bytes; see `benches/backup.rs`).
        // Applied first, so the turns below `settled` are all in sled, in chunks that no later
        // apply adds to (a later chunk starts at `settled` or after).
        self.apply()?;
        let settled = self.next_turn_in_sled()?;
        // A chunk in the turn files goes into the backup as its bytes, under its key: a backup
        // stands alone, and a restored store holds the chunks in sled, where they are read too.
        let turns = self
            .tree
            .range(keys::turn(0)..keys::turn(settled))
            .map(|kv| self.whole(kv?))
            .collect::<Result<Vec<_>, _>>()?;
        let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        // No write comes in while `order` is held: once applied, sled holds every write.
        self.apply()?;
        let after = super::durable::read_applied(&self.tree)?;
        let mut pairs = Vec::with_capacity(turns.len());
        for kv in self.tree.range(..keys::turn(0)) {
            let (k, v) = kv?;
            if kept_in_backups(&k) {
                pairs.push((k, v));
            }
        }
        pairs.extend(turns);
        for kv in self.tree.range(keys::turn(settled)..) {
            let (k, v) = self.whole(kv?)?;
            if kept_in_backups(&k) {
                pairs.push((k, v));
            }
        }
        Ok(Snapshot { after, pairs })
    }

    /// A pair as a backup holds it: a chunk's reference replaced by the chunk's bytes.
    fn whole(
        &self,
        (k, v): (sled::IVec, sled::IVec),
    ) -> Result<(sled::IVec, sled::IVec), StoreError> {
        let v = if chunks::is_chunk(&k) {
            self.chunk_bytes(&k, v)?
        } else {
            v
        };
        Ok((k, v))
    }
}

/// Whether a key goes into a backup: not `j` (the restore sets it), nor what the turn files
/// hold (`f`: a restored store has no turn files, its chunks are in sled).
fn kept_in_backups(key: &[u8]) -> bool {
    key != [keys::APPLIED] && key.first() != Some(&keys::TURN_FILE)
}

impl Snapshot {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for (k, v) in &self.pairs {
            counts.add(k, v);
        }
        counts
    }

    /// Writes the backup file's bytes to `out`; how many.
    pub fn write_to(&self, out: impl Write) -> std::io::Result<u64> {
        let mut out = Crc {
            inner: out,
            hasher: crc32fast::Hasher::new(),
            written: 0,
        };
        out.write_all(MAGIC)?;
        out.write_all(&[VERSION])?;
        out.write_all(&self.after.to_le_bytes())?;
        out.write_all(&(self.pairs.len() as u64).to_le_bytes())?;
        for (k, v) in &self.pairs {
            put(&mut out, k)?;
            put(&mut out, v)?;
        }
        let crc = out.hasher.clone().finalize();
        out.inner.write_all(&crc.to_le_bytes())?;
        out.inner.flush()?;
        Ok(out.written + TRAILER as u64)
    }
}

/// A writer that checksums what goes through it.
struct Crc<W> {
    inner: W,
    hasher: crc32fast::Hasher,
    written: u64,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn put(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    // sled keys and values of this crate are far below 4 GiB.
    out.write_all(&(bytes.len() as u32).to_le_bytes())?;
    out.write_all(bytes)
}

/// A backup file read back and verified whole: nothing in it is trusted before the checksum.
pub struct Backup<'a> {
    pub after: u64,
    pub counts: Counts,
    pairs: Vec<(&'a [u8], &'a [u8])>,
}

impl<'a> Backup<'a> {
    /// Verifies `bytes` (the file at `path`, named in every error) and reads its pairs.
    pub fn parse(bytes: &'a [u8], path: &Path) -> Result<Backup<'a>, BackupError> {
        let bad = |what: String| BackupError::Bad {
            path: path.to_owned(),
            what,
        };
        if !bytes.starts_with(MAGIC) {
            return Err(bad(
                "not a Baton backup (it does not start with BATONBAK)".into()
            ));
        }
        if bytes.len() < HEADER + TRAILER {
            return Err(bad(format!(
                "cut short: {} bytes, less than a backup's header",
                bytes.len()
            )));
        }
        if bytes[8] != VERSION {
            return Err(bad(format!(
                "backup format version {} is not one this build reads (it reads {VERSION})",
                bytes[8]
            )));
        }
        let (body, trailer) = bytes.split_at(bytes.len() - TRAILER);
        let want = u32::from_le_bytes(trailer.try_into().unwrap_or_default());
        let got = crc32fast::hash(body);
        if want != got {
            return Err(bad(format!(
                "its checksum does not match (file says {want:08x}, contents give {got:08x}): \
                 the file is cut short or damaged"
            )));
        }
        let number =
            |at: usize| u64::from_le_bytes(body[at..at + 8].try_into().unwrap_or_default());
        let after = number(9);
        let count = number(17);
        let mut rest = &body[HEADER..];
        let mut pairs = Vec::new();
        let mut counts = Counts::default();
        while !rest.is_empty() {
            let k = take(&mut rest).ok_or_else(|| bad("a key runs past the end".into()))?;
            let v = take(&mut rest).ok_or_else(|| bad("a value runs past the end".into()))?;
            counts.add(k, v);
            pairs.push((k, v));
        }
        if pairs.len() as u64 != count {
            return Err(bad(format!(
                "it holds {} pairs where its header says {count}",
                pairs.len()
            )));
        }
        Ok(Backup {
            after,
            counts,
            pairs,
        })
    }
}

fn take<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > rest.len() {
        return None;
    }
    let (taken, rest) = rest.split_at(len);
    *bytes = rest;
    Some(taken)
}

/// What `restore` wrote.
#[derive(Debug, Clone, Copy)]
pub struct Restored {
    pub after: u64,
    pub counts: Counts,
    pub bytes: u64,
}

/// Writes the backup in `file` into `dir`, which must be empty or absent; verifies the whole
/// file before anything is created.
pub fn restore(file: &Path, dir: &Path, cache_bytes: u64) -> Result<Restored, BackupError> {
    refuse_non_empty(dir)?;
    let bytes = std::fs::read(file).map_err(|source| BackupError::Io {
        path: file.to_owned(),
        source,
    })?;
    let backup = Backup::parse(&bytes, file)?;
    std::fs::create_dir_all(dir).map_err(|source| BackupError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let failed = |source| BackupError::Store {
        dir: dir.to_owned(),
        source,
    };
    let store = Store::open(dir, cache_bytes).map_err(failed)?;
    let mut set = WriteSet::default();
    let (mut in_set, mut since_barrier) = (0, 0);
    for (k, v) in &backup.pairs {
        set.insert(k.to_vec(), v.to_vec());
        in_set += k.len() + v.len();
        if in_set >= RESTORE_BATCH_BYTES {
            store.write(std::mem::take(&mut set)).map_err(failed)?;
            since_barrier += in_set;
            in_set = 0;
            if since_barrier >= RESTORE_BARRIER_BYTES {
                store.barrier().map_err(failed)?;
                since_barrier = 0;
            }
        }
    }
    store.write(set).map_err(failed)?;
    store.barrier().map_err(failed)?;
    Ok(Restored {
        after: backup.after,
        counts: backup.counts,
        bytes: bytes.len() as u64,
    })
}

fn refuse_non_empty(dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(BackupError::NotEmpty {
                dir: dir.to_owned(),
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(BackupError::Io {
            path: dir.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests;
