//! Durable to a power cut: the journal in front of sled, the barrier that lets the journal
//! go, and the checks that a data dir is whole before anything is served.
//!
//! - **Writes.** `Store::write` appends the write set to the journal (in memory) and puts it in
//!   the overlay, both under one lock, so the journal's order is the overlay's; `Store::apply`
//!   later moves the overlay into sled in one atomic batch that sets `j` to the last record it
//!   covers, so sled knows exactly which records it holds (see `overlay`). `Store::flush` writes
//!   the journal and `fdatasync`s it, shared by every caller waiting (group commit): only then
//!   is anyone told "accepted". sled writes its own files in the background (its `flush` is
//!   `sync_file_range`, which a power cut can undo); nothing relies on that.
//! - **Barrier.** Every few seconds, or once the journal passes a size, `Store::barrier` syncs
//!   the journal, applies the overlay, flushes sled and `fsync`s its files and directory, records how far sled is
//!   (`baton.state`), and deletes the journal segments below it. After a power cut sled holds
//!   at least what the last barrier recorded, and the journal everything acknowledged since.
//! - **Start-up.** `open` reads `baton.state`, opens sled (a panic inside sled is caught and
//!   reported), opens the journal (a torn tail is cut), and checks that the journal starts at
//!   or before the first record sled lacks. If not, changes are lost: it refuses with one
//!   sentence naming the file and what to do, and never starts empty over a data dir that held
//!   data. Otherwise it replays the journal after `j` into sled (through the overlay, many
//!   whole records to a batch with `j`, so sled is always the state after some whole record) and takes a barrier, so a crash loop
//!   replays each record once. sled may hold records the journal lost (written by sled's own
//!   flusher before the power cut, never acknowledged): the journal then goes on after them.

use super::{keys, state, Store, StoreError, WriteSet};
use crate::journal::{Files, Journal, Lsn, Options};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The journal's directory, inside the data dir.
pub const JOURNAL_DIR: &str = "journal";

/// The running daemon's pid, written once it holds the data dir: named when sled's lock is
/// taken.
pub const PID_FILE: &str = "baton.pid";

/// The sled files a barrier `fsync`s (sled syncs its snapshots itself).
const SLED_FILES: [&str; 2] = ["db", "conf"];
/// Where sled writes nodes too large for its log, a file each.
const SLED_BLOBS: &str = "blobs";

impl Store {
    /// Opens (or creates) the data dir with the journal on the real file system.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        Store::open_with(dir, cache_bytes, Arc::new(crate::journal::OsFiles))
    }

    /// Opens the data dir with the journal's files on `files` (a simulated disk in tests).
    pub fn open_with(
        dir: &Path,
        cache_bytes: u64,
        files: Arc<dyn Files>,
    ) -> Result<Store, StoreError> {
        let saved = state::read(dir)?;
        let db = open_sled(dir, cache_bytes)?;
        let tree = db.open_tree("baton")?;
        let applied = read_applied(&tree)?;
        let options = Options {
            first_lsn: applied + 1,
            ..Options::default()
        };
        let journal = Journal::open(&dir.join(JOURNAL_DIR), files, options)?;
        check(dir, saved.map(|s| s.applied), applied, &journal)?;
        if journal.next_lsn() <= applied {
            // sled kept records the journal lost (never acknowledged): go on after them.
            journal.skip_to(applied + 1)?;
        }
        let turn_files = super::turn_files::TurnFiles::open(dir)?;
        turn_files.check(&tree)?;
        let store = Store {
            db,
            tree,
            journal: Arc::new(journal),
            order: Arc::new(Mutex::new(())),
            overlay: Arc::default(),
            applying: Arc::new(Mutex::new(())),
            turn_files: Arc::new(turn_files),
            barrier: Arc::new(Mutex::new(None)),
            dir: dir.to_owned(),
        };
        let replayed = store.replay_journal(applied)?;
        if replayed > 0 {
            tracing::info!(records = replayed, "journal replayed into the store");
        }
        if replayed > 0 || saved.is_none() {
            store.barrier()?;
        }
        Ok(store)
    }

    /// Applies the journal's records after `applied` to sled, in order; how many.
    fn replay_journal(&self, applied: Lsn) -> Result<u64, StoreError> {
        let mut n = 0;
        for record in self.journal.read_from(applied + 1)? {
            let (lsn, bytes) = record?;
            let set = WriteSet::decode(&bytes).map_err(|e| StoreError::Damaged {
                path: self.dir.join(JOURNAL_DIR),
                what: format!("record {lsn} is {e}"),
            })?;
            // Through the overlay: sled takes many records in one batch (each of its batches
            // costs a write of its log), still whole records with `j`.
            self.overlay.put(lsn, set.into_ops());
            if self.overlay.bytes() >= super::OVERLAY_MAX_BYTES {
                self.apply()?;
            }
            n += 1;
        }
        self.apply()?;
        Ok(n)
    }

    /// Makes sled durable up to everything written so far and lets the journal below it go.
    /// Blocking; one at a time. Says whether there was anything new to make durable (an idle
    /// daemon's timer finds nothing, and returns at once).
    pub fn barrier(&self) -> Result<Barrier, StoreError> {
        let mut last = self.barrier.lock().unwrap_or_else(|p| p.into_inner());
        // Every record up to `through` is in sled: appends and applies happen under `order`.
        let through = {
            let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
            self.journal.next_lsn() - 1
        };
        if *last == Some(through) {
            return Ok(Barrier::Nothing);
        }
        self.journal.sync()?;
        // sled takes what the overlay holds (at least every record up to `through`).
        self.apply()?;
        self.db.flush()?;
        sync_sled_files(&self.dir)?;
        state::write(&self.dir, through)?;
        self.journal.release_before(through + 1)?;
        *last = Some(through);
        Ok(Barrier::Made)
    }

    /// Bytes the journal holds: what a crash now would replay.
    pub fn journal_bytes(&self) -> u64 {
        self.journal.bytes()
    }
}

/// What a barrier did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Barrier {
    /// Something was written since the last barrier, and is now durable in sled.
    Made,
    /// Nothing was written since the last barrier.
    Nothing,
}

/// `fsync`s sled's files and the directory: its own flush is `sync_file_range`, which does not
/// reach the disk's cache nor the file's metadata. That includes the blob files sled writes for
/// a node too large for its log (a node of many large turns), which it never syncs at all.
pub(super) fn sync_sled_files(dir: &Path) -> Result<(), StoreError> {
    for name in SLED_FILES {
        sync_file(&dir.join(name))?;
    }
    let blobs = dir.join(SLED_BLOBS);
    match std::fs::read_dir(&blobs) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.map_err(|source| StoreError::Io {
                    path: blobs.clone(),
                    source,
                })?;
                sync_file(&entry.path())?;
            }
            state::sync_dir(&blobs)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(StoreError::Io {
                path: blobs,
                source,
            })
        }
    }
    state::sync_dir(dir)
}

/// `fsync`s one file; one that is gone (sled removed it meanwhile) needs nothing.
fn sync_file(path: &Path) -> Result<(), StoreError> {
    match std::fs::File::open(path).and_then(|f| f.sync_all()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// sled panics on some damage ("tried to serialize Uninitialized"): caught and reported.
pub(super) fn open_sled(dir: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .mode(sled::Mode::HighThroughput);
    // Nothing of ours is shared with sled across the panic: the config moves in whole.
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || config.open()));
    let damaged = |what: String| StoreError::Damaged {
        path: dir.join("db"),
        what,
    };
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(sled::Error::Corruption { .. })) => Err(damaged("sled found it corrupt".into())),
        // sled says only "could not acquire lock on …" (an io error of kind Other).
        Ok(Err(sled::Error::Io(e))) if e.to_string().contains("could not acquire lock") => {
            let pid = std::fs::read_to_string(dir.join(PID_FILE));
            let pid = pid.ok().and_then(|p| p.trim().parse().ok());
            Err(StoreError::Locked {
                dir: dir.to_owned(),
                pid,
            })
        }
        Ok(Err(e)) => Err(e.into()),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(damaged(format!("sled could not read it ({msg})")))
        }
    }
}

pub(super) fn read_applied(tree: &sled::Tree) -> Result<Lsn, StoreError> {
    Ok(tree
        .get([keys::APPLIED])?
        .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0))
}

/// Refuses a data dir whose sled lost changes the journal no longer has.
fn check(
    dir: &Path,
    saved: Option<Lsn>,
    applied: Lsn,
    journal: &Journal,
) -> Result<(), StoreError> {
    let first = journal.first_lsn();
    if first > applied + 1 {
        let known = match saved {
            Some(s) if s > applied => format!(", though {} says {s} were", state::FILE),
            _ => String::new(),
        };
        return Err(StoreError::Damaged {
            path: dir.join("db"),
            what: format!(
                "the store holds the changes up to journal record {applied}{known}, and the \
                 journal starts at record {first}: the changes between are lost"
            ),
        });
    }
    if let Some(saved) = saved.filter(|&s| s > applied) {
        // sled went backwards: only a journal reaching past where it was can bring it back.
        if journal.next_lsn() <= saved {
            return Err(StoreError::Damaged {
                path: dir.join("db"),
                what: format!(
                    "the store holds the changes up to journal record {applied}, though {} \
                     says {saved} were, and the journal ends at record {}: the changes \
                     between are lost",
                    state::FILE,
                    journal.next_lsn() - 1
                ),
            });
        }
        tracing::warn!(store = %dir.join("db").display(), holds = applied, barrier = saved,
            "the store is behind its last barrier; the journal still covers it, replaying");
    }
    Ok(())
}
