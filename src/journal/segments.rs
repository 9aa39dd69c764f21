//! The journal's segments over time: starting a new one, releasing the old ones a barrier
//! covers (renamed out of the segments' names, cut down, deleted), and skipping ahead for a
//! store that holds more than the journal.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{frame, lock, recover, scan, Journal, JournalError, Lsn, Segment, Writer};

/// The pause between cuts of a retired segment (see `recover::cut_retired`), so the syncs
/// that come meanwhile wait for one cut at most.
const CUT_PAUSE: Duration = Duration::from_millis(10);

impl Journal {
    /// Makes the next record number `lsn` (not below `next_lsn`), for a store that holds every
    /// record below it, including some the journal lost (written out by the store itself,
    /// never acknowledged): the segments kept are deleted and a new one starts at `lsn`.
    pub fn skip_to(&self, lsn: Lsn) -> Result<(), JournalError> {
        self.sync()?;
        let mut writer = self.writer.lock().map_err(|_| JournalError::Poisoned)?;
        let mut pending = lock(&self.pending);
        if lsn < pending.next || !pending.buf.is_empty() {
            return Err(JournalError::Corrupt {
                path: self.dir.clone(),
                offset: 0,
                what: format!("cannot go back to record {lsn} from {}", pending.next),
            });
        }
        // Every record kept is below `lsn` and held by the store: the old segments go first,
        // so a power cut in between leaves no gap, only an empty journal (which `first_lsn`
        // starts at the right number).
        let old: Vec<PathBuf> = lock(&self.segments).drain(..).map(|s| s.path).collect();
        for path in old {
            self.files
                .remove(&path)
                .map_err(|source| JournalError::Io { path, source })?;
        }
        recover::sync_dir(&self.dir, self.files.as_ref())?;
        self.start_segment(&mut writer, lsn)?;
        pending.next = lsn;
        self.durable.store(lsn - 1, Ordering::Release);
        Ok(())
    }

    /// Replaces the segment being written with a new one whose first record is `first`.
    fn start_segment(&self, writer: &mut Writer, first: Lsn) -> Result<(), JournalError> {
        let mut fresh = recover::create_segment(&self.dir, self.files.as_ref(), first)?;
        let path = fresh.path.clone();
        fresh
            .file
            .sync_data()
            .map_err(|source| JournalError::Io { path, source })?;
        recover::sync_dir(&self.dir, self.files.as_ref())?;
        lock(&self.segments).push(Segment {
            first,
            path: fresh.path.clone(),
            len: fresh.len,
        });
        *writer = fresh;
        Ok(())
    }

    /// Releases whole segments whose records are all below `lsn`, oldest first: each renamed
    /// out of the segments' names with the directory synced after it (so no gap can survive a
    /// power cut), then deleted a cut at a time (`recover::cut_retired`); how many it
    /// released. When every record written so far is below `lsn`, the segment being written
    /// is closed too (a new one begins), so after a barrier the journal holds only what came
    /// after it.
    pub fn release_before(&self, lsn: Lsn) -> Result<usize, JournalError> {
        self.check_poison()?;
        {
            let mut writer = self.writer.lock().map_err(|_| JournalError::Poisoned)?;
            let pending = lock(&self.pending);
            let next = pending.next;
            let written = writer.len > frame::HEADER_LEN;
            if written && next <= lsn && pending.buf.is_empty() && self.durable() + 1 == next {
                drop(pending);
                self.start_segment(&mut writer, next)?;
            }
        }
        // Taken off the list under its lock, retired and deleted outside it: every sync takes
        // that lock, and a delete takes milliseconds, a stall for every DM in flight.
        let mut doomed: VecDeque<Segment> = {
            let mut segments = lock(&self.segments);
            let n = segments
                .iter()
                .skip(1)
                .take_while(|s| s.first <= lsn)
                .count();
            segments.drain(..n).collect()
        };
        let mut released = 0;
        while let Some(segment) = doomed.pop_front() {
            // Renamed out of the segments' names first (cheap, and oldest first with the
            // directory synced each time, so a power cut never leaves a gap), deleted after.
            let retired = scan::retired_name(&self.dir, segment.first);
            let failed = match self.files.rename(&segment.path, &retired) {
                Err(source) => {
                    let path = segment.path.clone();
                    doomed.push_front(segment);
                    Some(JournalError::Io { path, source })
                }
                Ok(()) => recover::sync_dir(&self.dir, self.files.as_ref()).err(),
            };
            if let Some(e) = failed {
                // What is still a segment goes back on the list, oldest first, for the next
                // call to try again.
                let mut segments = lock(&self.segments);
                for s in doomed.into_iter().rev() {
                    segments.insert(0, s);
                }
                return Err(e);
            }
            released += 1;
        }
        // Its records are gone either way: a file left is only disk space, tried again next.
        if let Err(e) = recover::cut_retired(&self.dir, self.files.as_ref(), CUT_PAUSE) {
            tracing::warn!(error = %e, "cannot delete a retired journal segment; the next release tries again");
        }
        Ok(released)
    }
}
