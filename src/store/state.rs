//! `baton.state`: what the data dir must hold, kept outside sled so a store that went
//! backwards (a lost or cut `db` file, a restored old copy) is noticed rather than served.
//!
//! It says how far the journal has been applied to sled and made durable there (the last
//! barrier). It is replaced whole (written to a temporary file, synced, renamed, the directory
//! synced), so a reader sees the old contents or the new, never a mix.

use super::StoreError;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE: &str = "baton.state";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// Every journal record up to this one is durable in sled.
    pub applied: u64,
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The state file, if there is one.
pub fn read(dir: &Path) -> Result<Option<State>, StoreError> {
    let path = path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { path, source }),
    };
    match serde_json::from_str::<State>(&text) {
        Ok(s) if s.format == 1 => Ok(Some(s)),
        Ok(s) => Err(StoreError::Damaged {
            path,
            what: format!("format {} is not one this build reads", s.format),
        }),
        Err(e) => Err(StoreError::Damaged {
            path,
            what: format!("not a state file ({e})"),
        }),
    }
}

/// Replaces the state file durably.
pub fn write(dir: &Path, applied: u64) -> Result<(), StoreError> {
    let state = State { format: 1, applied };
    let (path, tmp) = (path(dir), dir.join(format!("{FILE}.tmp")));
    let io = |source| StoreError::Io {
        path: tmp.clone(),
        source,
    };
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    let text = serde_json::to_string(&state).unwrap_or_default();
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    sync_dir(dir)
}

/// Makes renames, creations and removals in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: dir.to_owned(),
        source,
    };
    std::fs::File::open(dir).map_err(io)?.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_state_reads_back_and_junk_is_damage_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        write(dir.path(), 42).unwrap();
        write(dir.path(), 43).unwrap();
        let s = read(dir.path()).unwrap().unwrap();
        assert_eq!(s.applied, 43);
        std::fs::write(path(dir.path()), "{\"form").unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("baton.state") && e.contains("baton recover"),
            "{e}"
        );
    }
}
