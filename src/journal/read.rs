//! [`Journal::read_from`]'s iterator: records streamed segment by segment.

use std::path::PathBuf;

use super::frame::{self, Frame, Reader};
use super::{scan, Journal, JournalError, Lsn};

/// The iterator of [`Journal::read_from`].
pub(super) struct ReadFrom<'a> {
    pub(super) journal: &'a Journal,
    pub(super) from: Lsn,
    pub(super) upto: Lsn,
    pub(super) paths: std::vec::IntoIter<(Lsn, PathBuf)>,
    /// The segment being read, where in it, and the number expected there.
    pub(super) current: Option<(PathBuf, Reader, u64, Lsn)>,
}

impl ReadFrom<'_> {
    fn step(&mut self) -> Result<Option<(Lsn, Vec<u8>)>, JournalError> {
        loop {
            let Some((path, reader, at, expected)) = self.current.as_mut() else {
                let Some((first, path)) = self.paths.next() else {
                    return Ok(None);
                };
                if first > self.upto {
                    return Ok(None);
                }
                let reader = scan::open_reader(self.journal.files.as_ref(), &path)?;
                self.current = Some((path, reader, frame::HEADER_LEN, first));
                continue;
            };
            // What lies past `upto` may be a write still under way: never read it.
            if *expected > self.upto {
                return Ok(None);
            }
            let io = |source| JournalError::Io {
                path: path.clone(),
                source,
            };
            match reader.frame(*at).map_err(io)? {
                Frame::Record { lsn, payload, end } if lsn == *expected => {
                    *at = end;
                    *expected += 1;
                    if lsn >= self.from {
                        return Ok(Some((lsn, payload)));
                    }
                }
                Frame::End => self.current = None,
                Frame::Record { lsn, .. } => {
                    let (path, offset) = (path.clone(), *at);
                    let what = format!("record {lsn} where {expected} was expected");
                    return Err(JournalError::Corrupt { path, offset, what });
                }
                Frame::Bad(why) => {
                    let (path, offset) = (path.clone(), *at);
                    return Err(JournalError::Corrupt {
                        path,
                        offset,
                        what: why.to_string(),
                    });
                }
            }
        }
    }
}

impl Iterator for ReadFrom<'_> {
    type Item = Result<(Lsn, Vec<u8>), JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.step().transpose();
        if !matches!(item, Some(Ok(_))) {
            // Finished or failed: stay finished.
            self.paths = Vec::new().into_iter();
            self.current = None;
        }
        item
    }
}
