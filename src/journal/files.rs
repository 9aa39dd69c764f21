//! The file layer under the journal, as a trait so that a power cut can be simulated
//! ([`super::SimFiles`]); [`OsFiles`] is the real one over `std::fs`.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A directory of segment files. Creates and removes are durable only after `sync_dir`.
pub trait Files: Send + Sync + std::fmt::Debug + 'static {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// The files in `dir` (full paths, any order).
    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
    /// Opens for reading and writing; `create` makes it when missing.
    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn SegmentFile>>;
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Renames a file within its directory (durable after `sync_dir`).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the creates and removes done in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// One open segment: positional reads and writes, `fdatasync`.
// `len` is a fallible file size, not a collection's: an `is_empty` would add nothing.
#[allow(clippy::len_without_is_empty)]
pub trait SegmentFile: Send {
    fn len(&self) -> io::Result<u64>;
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes `bytes` at `offset`, growing the file if they reach past its end.
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// `fdatasync`: what was written before is durable once this returns Ok.
    fn sync_data(&mut self) -> io::Result<()>;
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Default)]
pub struct OsFiles;

impl Files for OsFiles {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                paths.push(entry.path());
            }
        }
        Ok(paths)
    }

    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn SegmentFile>> {
        // Not O_APPEND: the journal overwrites the zeros it keeps ahead of its records.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(path)?;
        Ok(Box::new(OsSegment { file }))
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
}

struct OsSegment {
    file: File,
}

impl SegmentFile for OsSegment {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        FileExt::read_at(&self.file, buf, offset)
    }

    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        FileExt::write_all_at(&self.file, bytes, offset)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}
