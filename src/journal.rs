//! The journal: an append-only write-ahead log in segment files under one directory. Every
//! record Baton acknowledges is appended here and `fdatasync`ed first; many callers share one
//! sync (group commit: [`Journal::append`] only buffers, [`Journal::sync`] writes the buffer and
//! syncs once for everyone who appended before it).
//!
//! Written here rather than taken from a WAL crate because the power-cut tests need the file
//! layer to be a trait ([`Files`]) that a simulator ([`SimFiles`]) can stand behind.
//!
//! Layout: segments named `{first_lsn:020}.journal`, each a header then frames (see `frame.rs`
//! for the bytes), then zero bytes: the writer keeps room ahead of itself, zero-filled, and
//! writes its frames over it, so that most syncs flush data only, not a new file size too (on
//! ext4 that is one write to the disk per sync instead of two, waited on one after the other).
//! Record numbers (LSNs) are dense across segments; the first ever is 1. A segment is rotated
//! at a sync once it has passed `Options::segment_bytes`; a new segment's directory entry is
//! synced before any record in it is called durable. On open, a torn tail of the last segment
//! (what a power cut leaves of a write that was never acknowledged) is cut away; damage
//! anywhere else is [`JournalError::Corrupt`].

mod files;
mod frame;
mod read;
mod recover;
mod scan;
mod segments;
mod sim;
mod tap;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_release;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use files::{Files, OsFiles, SegmentFile};
pub use scan::{scan, Damage, Scan};
pub use sim::SimFiles;
pub use tap::{Tapped, Watch};

/// A record's number: dense, the first record ever is 1.
pub type Lsn = u64;

/// Larger payloads are refused (and a larger length on disk is never allocated).
pub const MAX_RECORD: usize = 16 << 20;

#[derive(Debug, Clone)]
pub struct Options {
    /// A segment is closed at the first sync after it passes this size.
    pub segment_bytes: u64,
    /// The number the first record gets when the journal holds no segment at all (a store
    /// that already holds records up to `first_lsn - 1` starts its journal after them).
    pub first_lsn: Lsn,
    /// The most zero-filled room made ahead of the records at a time (0: none, every write
    /// grows the file). A segment grows by about its own size, from 64 KiB up to this.
    pub preallocate: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            segment_bytes: 64 << 20,
            first_lsn: 1,
            preallocate: 256 << 10,
        }
    }
}

/// The most buffer a sync leaves ready for the appends that come while it writes.
const KEEP_BUFFER: usize = 1 << 20;
/// The least room a segment is grown by (below `Options::preallocate`, that instead).
const LEAST_ROOM: u64 = 64 << 10;

/// Zeros written from here.
static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal file {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("journal file {} is damaged at byte {offset}: {what}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        what: String,
    },
    #[error("a journal record of {len} bytes is larger than the limit of {MAX_RECORD}")]
    TooLarge { len: usize },
    #[error("the journal failed to write or sync earlier; nothing after that is trusted")]
    Poisoned,
}

/// What appends share: the frames not yet written and the next number.
struct Pending {
    buf: Vec<u8>,
    next: Lsn,
}

/// The segment being written, owned by whoever is syncing.
struct Writer {
    file: Box<dyn SegmentFile>,
    path: PathBuf,
    /// Where its records end: the next frame goes here.
    len: u64,
    /// The file's size: zeros from `len` to here.
    room: u64,
}

/// The segments on disk, oldest first, with their sizes.
struct Segment {
    first: Lsn,
    path: PathBuf,
    len: u64,
}

pub struct Journal {
    dir: PathBuf,
    files: Arc<dyn Files>,
    options: Options,
    pending: Mutex<Pending>,
    writer: Mutex<Writer>,
    segments: Mutex<Vec<Segment>>,
    durable: AtomicU64,
    poisoned: AtomicBool,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.dir)
            .field("durable", &self.durable())
            .field("next_lsn", &self.next_lsn())
            .finish_non_exhaustive()
    }
}

/// Locks a mutex whose holder may have panicked: the plain values behind these stay consistent
/// (each critical section is a few assignments); the writer's lock is not taken this way.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Journal {
    /// Opens (creating the directory if needed). A torn tail of the last segment (short frame,
    /// bad CRC, impossible length) is truncated away and logged; damage anywhere else (an
    /// earlier segment, a valid frame after a bad one, LSNs not dense across segments) is
    /// [`JournalError::Corrupt`].
    pub fn open(
        dir: &Path,
        files: Arc<dyn Files>,
        options: Options,
    ) -> Result<Journal, JournalError> {
        let (segments, writer, next) = recover::recover(dir, files.as_ref(), options.first_lsn)?;
        Ok(Journal {
            dir: dir.to_path_buf(),
            files,
            options,
            pending: Mutex::new(Pending {
                buf: Vec::new(),
                next,
            }),
            writer: Mutex::new(writer),
            segments: Mutex::new(segments),
            durable: AtomicU64::new(next - 1),
            poisoned: AtomicBool::new(false),
        })
    }

    fn check_poison(&self) -> Result<(), JournalError> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(JournalError::Poisoned);
        }
        Ok(())
    }

    /// Records numbered `from` and later, in order, up to what was durable when called
    /// (streamed: one segment's reader at a time). Records released are gone: the first one
    /// given is then [`Journal::first_lsn`]. Do not release what is being read.
    pub fn read_from(
        &self,
        from: Lsn,
    ) -> Result<impl Iterator<Item = Result<(Lsn, Vec<u8>), JournalError>> + '_, JournalError> {
        self.check_poison()?;
        let upto = self.durable();
        let paths: Vec<(Lsn, PathBuf)> = {
            let segments = lock(&self.segments);
            let start = segments.iter().rposition(|s| s.first <= from).unwrap_or(0);
            segments[start..]
                .iter()
                .map(|s| (s.first, s.path.clone()))
                .collect()
        };
        Ok(read::ReadFrom {
            journal: self,
            from,
            upto,
            paths: paths.into_iter(),
            current: None,
        })
    }

    /// Buffers one record in memory; its number. Never does I/O.
    pub fn append(&self, payload: &[u8]) -> Result<Lsn, JournalError> {
        if payload.len() > MAX_RECORD {
            return Err(JournalError::TooLarge { len: payload.len() });
        }
        self.check_poison()?;
        let mut pending = lock(&self.pending);
        let lsn = pending.next;
        frame::encode(&mut pending.buf, lsn, payload);
        pending.next += 1;
        Ok(lsn)
    }

    /// Writes what is buffered and fdatasyncs it (blocking: call it off the async runtime). On
    /// return every record appended before the call is durable; returns the highest durable
    /// LSN. Concurrent callers share one sync; appends proceed while it runs. After a failed
    /// write or sync the journal is poisoned and every later call fails: an fsync is never
    /// retried, because a failed one may have dropped the dirty pages it was meant to write.
    pub fn sync(&self) -> Result<Lsn, JournalError> {
        self.check_poison()?;
        let target = lock(&self.pending).next - 1;
        let Ok(mut writer) = self.writer.lock() else {
            // A sync panicked half-way: what it took from the buffer may never have been written.
            self.poisoned.store(true, Ordering::Release);
            return Err(JournalError::Poisoned);
        };
        // Whoever held the writer before us may have written our records already.
        self.check_poison()?;
        let durable = self.durable();
        if durable >= target {
            return Ok(durable);
        }
        let (buf, last) = {
            let mut pending = lock(&self.pending);
            // The appends meanwhile go to a buffer as large as this one (up to a bound): growing
            // one from nothing by doubling copied it over and over.
            let room = Vec::with_capacity(pending.buf.capacity().min(KEEP_BUFFER));
            (std::mem::replace(&mut pending.buf, room), pending.next - 1)
        };
        match self.write(&mut writer, &buf, durable + 1) {
            Ok(()) => {
                self.durable.store(last, Ordering::Release);
                // Give the buffer's memory back for the next round if nobody refilled it.
                let mut pending = lock(&self.pending);
                if pending.buf.is_empty() {
                    pending.buf = buf;
                    pending.buf.clear();
                }
                Ok(last)
            }
            Err(e) => {
                self.poisoned.store(true, Ordering::Release);
                Err(e)
            }
        }
    }

    /// Writes frames starting at record `first` and makes them durable, rotating first when the
    /// segment is full.
    fn write(&self, writer: &mut Writer, buf: &[u8], first: Lsn) -> Result<(), JournalError> {
        let mut new_segment = false;
        if writer.len >= self.options.segment_bytes && writer.len > frame::HEADER_LEN {
            let fresh = recover::create_segment(&self.dir, self.files.as_ref(), first)?;
            *writer = fresh;
            new_segment = true;
            let mut segments = lock(&self.segments);
            segments.push(Segment {
                first,
                path: writer.path.clone(),
                len: writer.len,
            });
        }
        let io = |source| JournalError::Io {
            path: writer.path.clone(),
            source,
        };
        writer.file.write_at(writer.len, buf).map_err(io)?;
        writer.len += buf.len() as u64;
        writer.room = writer.room.max(writer.len);
        if writer.len + buf.len() as u64 > writer.room && self.options.preallocate > 0 {
            // The next write like this one would grow the file: make room now, in this sync.
            let step = writer.len.clamp(
                LEAST_ROOM.min(self.options.preallocate),
                self.options.preallocate,
            );
            let target = writer.len + buf.len() as u64 + step;
            while writer.room < target {
                let n = (target - writer.room).min(ZEROS.len() as u64) as usize;
                writer.file.write_at(writer.room, &ZEROS[..n]).map_err(io)?;
                writer.room += n as u64;
            }
        }
        writer.file.sync_data().map_err(io)?;
        if new_segment {
            recover::sync_dir(&self.dir, self.files.as_ref())?;
        }
        if let Some(last) = lock(&self.segments).last_mut() {
            last.len = writer.len;
        }
        Ok(())
    }

    /// The highest durable record; 0 when there has never been one.
    pub fn durable(&self) -> Lsn {
        self.durable.load(Ordering::Acquire)
    }

    pub fn next_lsn(&self) -> Lsn {
        lock(&self.pending).next
    }

    /// The oldest record still kept (`next_lsn` when there is none).
    pub fn first_lsn(&self) -> Lsn {
        let first = lock(&self.segments).first().map(|s| s.first);
        first.unwrap_or_else(|| self.next_lsn())
    }

    /// Bytes in all segments (written, not buffered), to checkpoint by size.
    pub fn bytes(&self) -> u64 {
        lock(&self.segments).iter().map(|s| s.len).sum()
    }
}
