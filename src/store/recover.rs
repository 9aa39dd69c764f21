//! `baton recover`: rebuilds a data dir the daemon refused, from what is left, and says what
//! could not be saved.
//!
//! sled is kept if it opens; otherwise its files are moved aside (`damaged-<unix time>/`) and
//! a new one is started. Every valid journal record after what sled holds is applied, in order
//! (damaged stretches are skipped and reported); the journal itself is moved aside and a new
//! one begins after the last record; every turn chunk sled refers to in the turn files is read,
//! and those that cannot be are taken out and named; a conversation whose pages of older turns
//! are not all there is named; then a barrier makes the result durable
//! and consistent, so the daemon starts on it. Nothing is deleted: what was moved aside stays
//! for inspection (the turn files go with sled when sled is started afresh).

use super::durable::{open_sled, read_applied, sync_sled_files, JOURNAL_DIR};
use super::turn_files::{ChunkRef, TurnFiles, REF};
use super::{chunks, keys, state, ConversationRecord, StoreError, WriteSet};
use crate::domain::ConversationId;
use crate::journal::{self, Files, Journal, Lsn, Options, OsFiles};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a recovery did, for the operator.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Where damaged files were moved, if any were.
    pub moved_to: Option<PathBuf>,
    /// sled could not be opened and was started afresh (the reason).
    pub store_lost: Option<String>,
    /// What sled held before, as a journal record number.
    pub store_held: Lsn,
    pub replayed: u64,
    /// Journal records sled needed that no longer exist (ranges, inclusive).
    pub missing: Vec<(Lsn, Lsn)>,
    /// Damaged journal bytes skipped: file, offset, length.
    pub damaged: Vec<(PathBuf, u64, u64)>,
    /// Records whose bytes were intact but not a write set (skipped).
    pub unreadable: Vec<Lsn>,
    /// Turn chunks whose bytes were damaged or gone (first turn, last turn, why): taken out.
    pub lost_turns: Vec<(u64, u64, String)>,
    /// Conversations whose list of older turns is damaged (why): their view stays a 503.
    pub unlisted: Vec<(ConversationId, String)>,
    pub through: Lsn,
    pub conversations: usize,
    pub agents: usize,
}

/// Rebuilds `dir` (the daemon must not be running on it).
pub fn recover(dir: &Path, cache_bytes: u64) -> Result<Recovery, StoreError> {
    let mut report = Recovery::default();
    let aside = aside_dir(dir);
    let db = match open_sled(dir, cache_bytes) {
        Ok(db) => db,
        // Anything else (the daemon still running holds sled's lock, a permission) is no
        // reason to move files: it is returned as it is.
        Err(e @ StoreError::Damaged { .. }) => {
            report.store_lost = Some(e.to_string());
            for entry in std::fs::read_dir(dir).map_err(|source| io(dir, source))? {
                let entry = entry.map_err(|source| io(dir, source))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                // The turn files go with sled: its references were the way into them.
                let sleds = name == "db" || name == "conf" || name == "blobs";
                if sleds || name == super::turn_files::DIR || name.starts_with("snap.") {
                    move_aside(&entry.path(), &aside)?;
                }
            }
            report.moved_to = Some(aside.clone());
            open_sled(dir, cache_bytes)?
        }
        Err(e) => return Err(e),
    };
    let tree = db.open_tree("baton")?;
    report.store_held = read_applied(&tree)?;
    // What the store was known to hold at its last barrier, if the state file says.
    let known = state::read(dir).ok().flatten().map_or(0, |s| s.applied);
    let files = OsFiles;
    let journal_dir = dir.join(JOURNAL_DIR);
    let scan = journal::scan(&journal_dir, &files)?;
    report.damaged = scan
        .damaged
        .iter()
        .map(|d| (d.path.clone(), d.offset, d.len))
        .collect();
    let mut through = report.store_held;
    for (lsn, bytes) in scan.records {
        if lsn <= through {
            continue;
        }
        if lsn > through + 1 {
            report.missing.push((through + 1, lsn - 1));
        }
        match WriteSet::decode(&bytes) {
            Ok(set) => {
                tree.apply_batch(set.into_batch_at(lsn))?;
                report.replayed += 1;
            }
            Err(_) => report.unreadable.push(lsn),
        }
        through = lsn;
    }
    if known > through {
        report.missing.push((through + 1, known));
    }
    check_turn_files(dir, &tree, &mut report)?;
    for kv in tree.scan_prefix([keys::CONVERSATION]) {
        let (k, v) = kv?;
        // A record sled cannot decode is damage of sled's own, which its open reports.
        let Ok(record) = super::records::decode::<ConversationRecord>(&k, &v) else {
            continue;
        };
        let id = record.conversation.id;
        if let Some(why) = super::turn_pages::damaged_page(&tree, id, &record.turns) {
            report.unlisted.push((id, why));
        }
    }
    if journal_dir.exists() {
        move_aside(&journal_dir, &aside)?;
        report.moved_to = Some(aside);
    }
    // A fresh journal that continues after the last record, then the barrier's steps.
    let options = Options {
        first_lsn: through + 1,
        ..Options::default()
    };
    let files: Arc<dyn Files> = Arc::new(files);
    drop(Journal::open(&journal_dir, files, options)?);
    tree.insert([keys::APPLIED], through.to_be_bytes().to_vec())?;
    db.flush()?;
    sync_sled_files(dir)?;
    state::write(dir, through)?;
    report.through = through;
    report.conversations = tree.scan_prefix([keys::CONVERSATION]).count();
    report.agents = tree.scan_prefix([keys::AGENT]).count();
    Ok(report)
}

/// Reads every turn chunk sled refers to in the turn files: one damaged or gone is reported
/// and its reference removed, so the store no longer offers turns it cannot read; then what
/// sled says it refers to in each file is set to what the file holds.
fn check_turn_files(
    dir: &Path,
    tree: &sled::Tree,
    report: &mut Recovery,
) -> Result<(), StoreError> {
    let files = TurnFiles::open(dir)?;
    for kv in tree.scan_prefix([keys::TURN]) {
        let (k, v) = kv?;
        if !chunks::is_chunk(&k) || v.first() != Some(&REF) {
            continue;
        }
        let read = match ChunkRef::decode(&v) {
            Some(r) => files
                .read(&r)
                .map(|_| ())
                .map_err(|e| (r.last, e.to_string())),
            None => Err((0, "a damaged reference".to_owned())),
        };
        if let Err((last, why)) = read {
            let first = keys::turn_seq(&k).unwrap_or_default();
            report.lost_turns.push((first, last.max(first), why));
            tree.remove(&k)?;
        }
    }
    for kv in tree.scan_prefix([keys::TURN_FILE]) {
        let (k, _) = kv?;
        let path = files.path(keys::turn_seq(&k).unwrap_or_default());
        match std::fs::metadata(&path) {
            Ok(m) => tree.insert(&k, &m.len().to_be_bytes())?,
            Err(_) => tree.remove(&k)?,
        };
    }
    Ok(())
}

/// `damaged-<unix time>/` in `dir`, with `-2`, `-3`… when a recovery in the same second already
/// took that name (a second run must not fail on the first's files).
fn aside_dir(dir: &Path) -> PathBuf {
    let stem = format!("damaged-{}", unix_now());
    let mut aside = dir.join(&stem);
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = dir.join(format!("{stem}-{n}"));
    }
    aside
}

fn move_aside(path: &Path, aside: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(aside).map_err(|source| io(aside, source))?;
    let to = aside.join(path.file_name().unwrap_or_default());
    std::fs::rename(path, &to).map_err(|source| io(path, source))
}

fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.store_lost {
            Some(why) => writeln!(f, "store: could not be opened ({why}); started afresh")?,
            None => writeln!(
                f,
                "store: opened; it held the changes up to journal record {}",
                self.store_held
            )?,
        }
        writeln!(
            f,
            "journal: {} records applied; the store now holds up to record {}",
            self.replayed, self.through
        )?;
        for (from, to) in &self.missing {
            writeln!(f, "LOST: journal records {from} to {to} no longer exist; the changes they held (DMs, replies, agents' actions) are not in the store")?;
        }
        for (path, offset, len) in &self.damaged {
            writeln!(
                f,
                "LOST: {len} damaged bytes in {} at byte {offset} were skipped",
                path.display()
            )?;
        }
        for (first, last, why) in &self.lost_turns {
            writeln!(
                f,
                "LOST: turns {first} to {last} ({why}); taken out of the store: their messages \
                 are missing from transcripts"
            )?;
        }
        for (id, why) in &self.unlisted {
            writeln!(
                f,
                "LOST: conversation {id}: {why}; its transcript cannot be read (the admin API \
                 answers 503 for it) until the data dir is restored from a backup"
            )?;
        }
        for lsn in &self.unreadable {
            writeln!(
                f,
                "LOST: journal record {lsn} was intact but unreadable; skipped"
            )?;
        }
        if let Some(to) = &self.moved_to {
            writeln!(f, "moved aside (nothing deleted): {}", to.display())?;
        }
        write!(
            f,
            "the store holds {} conversations and {} agents; `baton run` will start on it",
            self.conversations, self.agents
        )
    }
}
