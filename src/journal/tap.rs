//! Files that pass every call through to other files after asking a [`Watch`] first: how
//! tests hold a sync, fail a rename, log a truncation or check a read, each by writing only
//! the one method it cares about.

use super::{Files, SegmentFile};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Asked before each call a [`Tapped`] passes on; an `Err` fails the call instead. Every
/// method lets the call through unless a watch says otherwise.
pub trait Watch: Send + Sync + 'static {
    fn remove(&self, _path: &Path) -> io::Result<()> {
        Ok(())
    }
    fn rename(&self, _from: &Path, _to: &Path) -> io::Result<()> {
        Ok(())
    }
    /// A read of `len` bytes at `offset` from `file` (opened at `path`).
    fn read_at(
        &self,
        _path: &Path,
        _file: &dyn SegmentFile,
        _offset: u64,
        _len: usize,
    ) -> io::Result<()> {
        Ok(())
    }
    fn sync_data(&self, _path: &Path) -> io::Result<()> {
        Ok(())
    }
    fn truncate(&self, _path: &Path, _len: u64) -> io::Result<()> {
        Ok(())
    }
}

/// `files`, with `watch` asked before the calls it has a say in.
pub struct Tapped<F, W> {
    files: F,
    watch: Arc<W>,
}

impl<F: Files, W: Watch> Tapped<F, W> {
    pub fn new(files: F, watch: Arc<W>) -> Tapped<F, W> {
        Tapped { files, watch }
    }
}

impl<F, W> std::fmt::Debug for Tapped<F, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tapped")
    }
}

impl<F: Files, W: Watch> Files for Tapped<F, W> {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.files.create_dir_all(dir)
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        self.files.list(dir)
    }
    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn SegmentFile>> {
        Ok(Box::new(TappedFile {
            file: self.files.open(path, create)?,
            path: path.to_path_buf(),
            watch: self.watch.clone(),
        }))
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        self.watch.remove(path)?;
        self.files.remove(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.watch.rename(from, to)?;
        self.files.rename(from, to)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.files.sync_dir(dir)
    }
}

struct TappedFile<W> {
    file: Box<dyn SegmentFile>,
    path: PathBuf,
    watch: Arc<W>,
}

impl<W: Watch> SegmentFile for TappedFile<W> {
    fn len(&self) -> io::Result<u64> {
        self.file.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.watch
            .read_at(&self.path, &*self.file, offset, buf.len())?;
        self.file.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.file.write_at(offset, bytes)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        self.watch.sync_data(&self.path)?;
        self.file.sync_data()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.watch.truncate(&self.path, len)?;
        self.file.truncate(len)
    }
}
