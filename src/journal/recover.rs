//! Start-up of the journal: every segment checked in order, a torn tail of the last one cut
//! away, and what was found made durable before it is called so.

use std::path::Path;
use std::time::Duration;

use super::{frame, scan, Files, JournalError, Lsn, Segment, Writer};

/// The segments found (oldest first), the one to write, and the next record's number.
pub(super) fn recover(
    dir: &Path,
    files: &dyn Files,
    first_lsn: Lsn,
) -> Result<(Vec<Segment>, Writer, Lsn), JournalError> {
    let dir_err = |source| JournalError::Io {
        path: dir.to_path_buf(),
        source,
    };
    files.create_dir_all(dir).map_err(dir_err)?;
    // The directory may be new: its own entry must survive a power cut too.
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent, files)?;
    }
    let listed = scan::list_segments(dir, files)?;
    // Left by a release that was cut short: nothing reads them, and nobody waits yet.
    if let Err(e) = cut_retired(dir, files, Duration::ZERO) {
        tracing::warn!(error = %e, "cannot delete a retired journal segment; the next release tries again");
    }
    let mut segments = Vec::with_capacity(listed.len().max(1));
    let mut writer = None;
    let mut expected: Option<Lsn> = None;
    let count = listed.len();
    for (i, (first, path)) in listed.into_iter().enumerate() {
        if let Some(want) = expected.filter(|&want| want != first) {
            let what = format!("the segment starts at record {first} where {want} was expected");
            return Err(JournalError::Corrupt {
                path,
                offset: 0,
                what,
            });
        }
        let checked = scan::check(files, &path, first)?;
        let last = i + 1 == count;
        let mut len = checked.end;
        if let Some(why) = checked.torn {
            let cut = checked.reader.len() - checked.end;
            if !last {
                let (offset, what) = (
                    checked.end,
                    format!("{why} in a segment that is not the last"),
                );
                return Err(JournalError::Corrupt { path, offset, what });
            }
            tracing::warn!(file = %path.display(), offset = checked.end, bytes = cut, why, "cutting a torn tail off the journal");
            let mut file = checked.reader.into_file();
            let io = |source| JournalError::Io {
                path: path.clone(),
                source,
            };
            file.truncate(checked.end).map_err(io)?;
            if checked.bad_header {
                file.write_at(0, &frame::header()).map_err(io)?;
                len = frame::HEADER_LEN;
            }
            writer = Some(Writer {
                file,
                path: path.clone(),
                len,
                room: len,
            });
        } else if last {
            // Zeros past the records (room made before) are written over.
            let room = checked.reader.len();
            writer = Some(Writer {
                file: checked.reader.into_file(),
                path: path.clone(),
                len,
                room,
            });
        }
        expected = Some(checked.next);
        segments.push(Segment { first, path, len });
    }
    let next = expected.unwrap_or(first_lsn);
    let mut writer = match writer {
        Some(w) => w,
        None => {
            let w = create_segment(dir, files, next)?;
            segments.push(Segment {
                first: next,
                path: w.path.clone(),
                len: w.len,
            });
            w
        }
    };
    // What was found is about to be called durable, yet it may be only in the page cache
    // (written by a process that died before its sync): make it so, entry and bytes.
    let io = |source| JournalError::Io {
        path: writer.path.clone(),
        source,
    };
    writer.file.sync_data().map_err(io)?;
    sync_dir(dir, files)?;
    Ok((segments, writer, next))
}

pub(super) fn sync_dir(dir: &Path, files: &dyn Files) -> Result<(), JournalError> {
    files.sync_dir(dir).map_err(|source| JournalError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Creates a segment starting at record `first` with its header written (not yet synced).
pub(super) fn create_segment(
    dir: &Path,
    files: &dyn Files,
    first: Lsn,
) -> Result<Writer, JournalError> {
    let path = scan::segment_name(dir, first);
    let io = |source| JournalError::Io {
        path: path.clone(),
        source,
    };
    let mut file = files.open(&path, true).map_err(io)?;
    // A leftover of the same name (a create whose directory entry survived, nothing else) is
    // started afresh: it held no acknowledged record.
    file.truncate(0).map_err(io)?;
    file.write_at(0, &frame::header()).map_err(io)?;
    Ok(Writer {
        file,
        path,
        len: frame::HEADER_LEN,
        room: frame::HEADER_LEN,
    })
}

/// A retired segment is cut down by this much at a time before it is deleted.
pub(super) const CUT_STEP: u64 = 8 << 20;

/// Deletes the retired segments in `dir`, each cut down [`CUT_STEP`] at a time with `pause`
/// between cuts. The file system frees a file's blocks (and, mounted with `discard`, tells
/// the disk) when it is cut or deleted, and the disk finishes that before the next
/// `fdatasync` of the journal: 64 MiB at once held one for 11–19 ms, 8 MiB for 3–4. No
/// directory sync: one that comes back after a power cut is deleted at the next open.
pub(super) fn cut_retired(
    dir: &Path,
    files: &dyn Files,
    pause: Duration,
) -> Result<(), JournalError> {
    for path in scan::list_retired(dir, files)? {
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let mut file = files.open(&path, false).map_err(io)?;
        let mut len = file.len().map_err(io)?;
        while len > CUT_STEP {
            len -= CUT_STEP;
            file.truncate(len).map_err(io)?;
            std::thread::sleep(pause);
        }
        drop(file);
        files.remove(&path).map_err(io)?;
    }
    Ok(())
}
