//! Walking segments: listing them by name, the strict check `Journal::open` makes, and the
//! lenient [`scan`] a recovery tool uses.

use std::path::{Path, PathBuf};

use super::frame::{Frame, Reader, HEADER_LEN};
use super::{Files, JournalError, Lsn};

/// `{first_lsn:020}.journal`.
pub(crate) fn segment_name(dir: &Path, first: Lsn) -> PathBuf {
    dir.join(format!("{first:020}.journal"))
}

/// `{first_lsn:020}.retired`: a segment whose records were all released, being cut down before
/// it is deleted. Not a segment any more: nothing reads it, and open deletes any left over.
pub(crate) fn retired_name(dir: &Path, first: Lsn) -> PathBuf {
    dir.join(format!("{first:020}.retired"))
}

/// The number in `{first_lsn:020}{suffix}`.
fn parse_numbered(path: &Path, suffix: &str) -> Option<Lsn> {
    let name = path.file_name()?.to_str()?;
    let digits = name.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn parse_name(path: &Path) -> Option<Lsn> {
    parse_numbered(path, ".journal")
}

/// The retired segments in `dir`, oldest first.
pub(crate) fn list_retired(dir: &Path, files: &dyn Files) -> Result<Vec<PathBuf>, JournalError> {
    let paths = files.list(dir).map_err(|source| JournalError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut retired: Vec<(Lsn, PathBuf)> = paths
        .into_iter()
        .filter_map(|p| Some((parse_numbered(&p, ".retired")?, p)))
        .collect();
    retired.sort();
    Ok(retired.into_iter().map(|(_, p)| p).collect())
}

/// The segments in `dir`, oldest first; other files are ignored, with a warning unless they
/// are retired segments.
pub(crate) fn list_segments(
    dir: &Path,
    files: &dyn Files,
) -> Result<Vec<(Lsn, PathBuf)>, JournalError> {
    let paths = files.list(dir).map_err(|source| JournalError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut segments = Vec::new();
    for path in paths {
        match parse_name(&path) {
            Some(first) => segments.push((first, path)),
            None if parse_numbered(&path, ".retired").is_some() => {}
            None => tracing::warn!(file = %path.display(), "not a journal segment; ignored"),
        }
    }
    segments.sort();
    Ok(segments)
}

pub(crate) fn open_reader(files: &dyn Files, path: &Path) -> Result<Reader, JournalError> {
    let io = |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    };
    Reader::new(files.open(path, false).map_err(io)?).map_err(io)
}

/// How a segment ended under the strict check.
pub(crate) struct Checked {
    pub(crate) reader: Reader,
    /// The number after its last record (its first number when it has none).
    pub(crate) next: Lsn,
    /// Where its valid records end.
    pub(crate) end: u64,
    /// A torn tail from `end` on: why it is not a frame. `None` when the file ends cleanly.
    pub(crate) torn: Option<&'static str>,
    /// The header itself is missing or wrong (and nothing valid follows).
    pub(crate) bad_header: bool,
}

/// Reads a whole segment whose first record must be `first`. Damage with a valid frame after
/// it, or a record out of sequence, is `Corrupt`; a bad tail is reported for the caller to
/// decide (a torn tail is only acceptable in the last segment).
pub(crate) fn check(files: &dyn Files, path: &Path, first: Lsn) -> Result<Checked, JournalError> {
    let mut reader = open_reader(files, path)?;
    let io = |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let corrupt = |offset, what: String| JournalError::Corrupt {
        path: path.to_path_buf(),
        offset,
        what,
    };
    let prev = first.saturating_sub(1);
    if !reader.header_ok().map_err(io)? {
        if reader.resync(0, prev).map_err(io)?.is_some() {
            return Err(corrupt(
                0,
                "a segment header that is not Baton's journal".into(),
            ));
        }
        let torn = Some("a segment header cut short");
        return Ok(Checked {
            reader,
            next: first,
            end: 0,
            torn,
            bad_header: true,
        });
    }
    let (mut at, mut next) = (HEADER_LEN, first);
    loop {
        match reader.frame(at).map_err(io)? {
            Frame::End => {
                return Ok(Checked {
                    reader,
                    next,
                    end: at,
                    torn: None,
                    bad_header: false,
                })
            }
            Frame::Record { lsn, end, .. } if lsn == next => {
                at = end;
                next += 1;
            }
            Frame::Record { lsn, .. } => {
                return Err(corrupt(
                    at,
                    format!("record {lsn} where {next} was expected"),
                ));
            }
            Frame::Bad(why) => {
                if let Some(valid) = reader.resync(at + 1, next - 1).map_err(io)? {
                    return Err(corrupt(
                        at,
                        format!("{why}, with a valid record after it at {valid}"),
                    ));
                }
                return Ok(Checked {
                    reader,
                    next,
                    end: at,
                    torn: Some(why),
                    bad_header: false,
                });
            }
        }
    }
}

/// A byte range [`scan`] skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// Everything valid in a journal directory, and what was not.
#[derive(Debug, Default)]
pub struct Scan {
    pub records: Vec<(Lsn, Vec<u8>)>,
    pub damaged: Vec<Damage>,
}

/// Lenient reading for a recovery tool: every valid record of every segment in order, and the
/// damaged byte ranges it skipped. Never fails on damage, only on I/O.
pub fn scan(dir: &Path, files: &dyn Files) -> Result<Scan, JournalError> {
    let mut out = Scan::default();
    for (first, path) in list_segments(dir, files)? {
        let mut reader = open_reader(files, &path)?;
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let mut at = 0;
        if reader.header_ok().map_err(io)? {
            at = HEADER_LEN;
        }
        let mut prev = first.saturating_sub(1);
        loop {
            let damage_at = match reader.frame(at).map_err(io)? {
                Frame::End => break,
                Frame::Record { lsn, payload, end } if lsn > prev && at >= HEADER_LEN => {
                    out.records.push((lsn, payload));
                    (prev, at) = (lsn, end);
                    continue;
                }
                _ => at,
            };
            let resumed = reader.resync(damage_at.max(1), prev).map_err(io)?;
            let stop = resumed.unwrap_or(reader.len());
            out.damaged.push(Damage {
                path: path.clone(),
                offset: damage_at,
                len: stop - damage_at,
            });
            match resumed {
                Some(next) => at = next,
                None => break,
            }
        }
    }
    Ok(out)
}
