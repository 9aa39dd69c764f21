//! [`SimFiles`]: in-memory files that can lose power. Each file keeps the bytes known durable
//! (as of its last `sync_data`) beside its bytes now and the changes (writes, truncations) made
//! since, in order; each directory entry knows whether it is durable (as of the last `sync_dir`
//! of its directory).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Files, SegmentFile};

/// The power-cut simulator. Clones share the same files.
#[derive(Debug, Clone, Default)]
pub struct SimFiles {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    dirs: BTreeSet<PathBuf>,
    files: BTreeMap<PathBuf, SimFile>,
    /// Bumped by every power cut: handles opened before one are dead.
    boot: u64,
    fail_next_sync: bool,
}

#[derive(Debug, Default)]
struct SimFile {
    durable: Vec<u8>,
    current: Vec<u8>,
    /// What was done to the file since its last sync, oldest first.
    changes: Vec<Change>,
    /// Present now (false: removed, but the removal is not durable yet).
    exists: bool,
    /// The directory entry survives a power cut.
    entry_durable: bool,
}

#[derive(Debug, Clone)]
enum Change {
    Write(usize, Vec<u8>),
    Truncate(usize),
}

impl Change {
    /// Does this change to `bytes`; a write only its first `keep` bytes (a torn write).
    fn apply(&self, bytes: &mut Vec<u8>, keep: usize) {
        match self {
            Change::Write(at, data) => {
                let data = &data[..keep.min(data.len())];
                if bytes.len() < at + data.len() {
                    bytes.resize(at + data.len(), 0);
                }
                bytes[*at..at + data.len()].copy_from_slice(data);
            }
            Change::Truncate(len) => bytes.resize(*len, 0),
        }
    }
}

impl SimFiles {
    pub fn new() -> SimFiles {
        SimFiles::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves plain data behind: still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loses power: every file forgets what was done to it after its last sync, except that
    /// the first few of those changes may survive, in order, and a write after them in part
    /// (torn at a random byte; both chosen from `seed`); creates and removes not made durable by
    /// `sync_dir` are undone.
    pub fn power_cut(&self, seed: u64) {
        let mut state = self.lock();
        state.boot += 1;
        let mut rng = seed;
        state.files.retain(|_, f| f.entry_durable);
        for file in state.files.values_mut() {
            file.exists = true;
            let mut kept = std::mem::take(&mut file.durable);
            let changes = std::mem::take(&mut file.changes);
            if !changes.is_empty() && next(&mut rng).is_multiple_of(2) {
                let whole = (next(&mut rng) % (changes.len() as u64 + 1)) as usize;
                for change in &changes[..whole] {
                    change.apply(&mut kept, usize::MAX);
                }
                if let Some(torn @ Change::Write(_, data)) = changes.get(whole) {
                    let keep = (next(&mut rng) % (data.len() as u64 + 1)) as usize;
                    torn.apply(&mut kept, keep);
                }
            }
            file.current.clone_from(&kept);
            file.durable = kept;
        }
    }

    /// The next `sync_data` fails (and makes nothing durable).
    pub fn fail_next_sync(&self) {
        self.lock().fail_next_sync = true;
    }

    /// A file's current bytes (durable or not), if it exists.
    pub fn bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let state = self.lock();
        state
            .files
            .get(path)
            .filter(|f| f.exists)
            .map(|f| f.current.clone())
    }

    /// Replaces (or creates) a file with `bytes`, all durable, its directory too.
    pub fn set_bytes(&self, path: &Path, bytes: Vec<u8>) {
        let mut state = self.lock();
        if let Some(dir) = path.parent() {
            state.dirs.insert(dir.to_path_buf());
        }
        let file = SimFile {
            durable: bytes.clone(),
            current: bytes,
            changes: Vec::new(),
            exists: true,
            entry_durable: true,
        };
        state.files.insert(path.to_path_buf(), file);
    }
}

/// splitmix64: enough randomness for choosing where a write tears.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

impl Files for SimFiles {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.lock();
        for d in dir.ancestors() {
            state.dirs.insert(d.to_path_buf());
        }
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let state = self.lock();
        if !state.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        let here = |p: &&PathBuf| p.parent() == Some(dir);
        Ok(state
            .files
            .iter()
            .filter(|(_, f)| f.exists)
            .map(|(p, _)| p)
            .filter(here)
            .cloned()
            .collect())
    }

    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn SegmentFile>> {
        let mut state = self.lock();
        let exists = state.files.get(path).is_some_and(|f| f.exists);
        if !exists {
            let in_dir = path.parent().is_some_and(|d| state.dirs.contains(d));
            if !create || !in_dir {
                return Err(not_found(path));
            }
            // A name removed and made again is simply a new file here (its old self is lost).
            let fresh = SimFile {
                exists: true,
                ..SimFile::default()
            };
            state.files.insert(path.to_path_buf(), fresh);
        }
        let boot = state.boot;
        Ok(Box::new(Handle {
            sim: self.clone(),
            path: path.to_path_buf(),
            boot,
        }))
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        match state.files.get_mut(path) {
            Some(f) if f.exists => {
                f.exists = false;
                Ok(())
            }
            _ => Err(not_found(path)),
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.lock();
        let Some(old) = state.files.get_mut(from).filter(|f| f.exists) else {
            return Err(not_found(from));
        };
        // Both entries change only once the directory is synced: until then a power cut
        // brings the old name back and loses the new one.
        old.exists = false;
        let moved = SimFile {
            durable: old.durable.clone(),
            current: old.current.clone(),
            changes: old.changes.clone(),
            exists: true,
            entry_durable: false,
        };
        state.files.insert(to.to_path_buf(), moved);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state
            .files
            .retain(|p, f| f.exists || p.parent() != Some(dir));
        for (_, f) in state
            .files
            .iter_mut()
            .filter(|(p, _)| p.parent() == Some(dir))
        {
            f.entry_durable = true;
        }
        Ok(())
    }
}

/// An open file; dead after a power cut (the process that held it is gone).
struct Handle {
    sim: SimFiles,
    path: PathBuf,
    boot: u64,
}

impl Handle {
    fn with<T>(&self, f: impl FnOnce(&mut SimFile, &mut bool) -> io::Result<T>) -> io::Result<T> {
        let mut guard = self.sim.lock();
        let state = &mut *guard;
        if state.boot != self.boot {
            return Err(io::Error::other("a handle from before the power cut"));
        }
        match state.files.get_mut(&self.path) {
            Some(file) if file.exists => f(file, &mut state.fail_next_sync),
            _ => Err(not_found(&self.path)),
        }
    }
}

impl SegmentFile for Handle {
    fn len(&self) -> io::Result<u64> {
        self.with(|f, _| Ok(f.current.len() as u64))
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.with(|f, _| {
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(f.current.len());
            let n = buf.len().min(f.current.len() - start);
            buf[..n].copy_from_slice(&f.current[start..start + n]);
            Ok(n)
        })
    }

    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let at = usize::try_from(offset).map_err(io::Error::other)?;
        self.with(|f, _| {
            let change = Change::Write(at, bytes.to_vec());
            change.apply(&mut f.current, usize::MAX);
            f.changes.push(change);
            Ok(())
        })
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.with(|f, fail| {
            if std::mem::take(fail) {
                return Err(io::Error::other("injected sync failure"));
            }
            f.durable.clone_from(&f.current);
            f.changes.clear();
            Ok(())
        })
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(io::Error::other)?;
        self.with(|f, _| {
            let change = Change::Truncate(len);
            change.apply(&mut f.current, usize::MAX);
            f.changes.push(change);
            Ok(())
        })
    }
}
