//! Turn chunks in files of their own, with only a reference to each in sled.
//!
//! Every DM adds a turn, and sled copied each applied chunk into its log and again into its
//! pages: about a tenth of the CPU a DM cost (measured with an experiment that applied no
//! turns at all). So `Store::apply` appends the chunks it packs to the current turn file
//! (`turns/<number>.turns`, a new one past [`FILE_BYTES`]), `fdatasync`s it, and only then
//! puts into sled, under each chunk's key, a [`ChunkRef`]: the file, offset, length, CRC-32
//! and last turn of the chunk. sled never points at bytes a power cut could take, and a
//! barrier needs nothing more than it did. Bytes after the last reference (an apply cut short
//! by a crash) are never read; the next apply writes after them. A read checks the CRC, so a
//! damaged file is `Corrupt`, naming the file and the offset. Like the turns they hold, files
//! are never changed or removed once written.
//!
//! Beside the references, sled keeps per file how many of its bytes it refers to (`f` keys,
//! in the same batches): start-up checks every file is there and that long, so a turn file
//! lost or cut short is refused at start, naming it, not found later by a reader.
//!
//! A reference's value: the version byte [`REF`] (a chunk stored inline in sled starts with
//! its own version, 1), the file number (u64 LE), offset (u64 LE), length (u32 LE), CRC-32 of
//! the chunk's bytes (u32 LE) and its last turn number (u64 LE).

use super::{keys, StoreError};
use foldhash::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The turn files' directory in the data dir.
pub const DIR: &str = "turns";
/// A file past this size is not appended to again.
pub const FILE_BYTES: u64 = 256 << 20;
/// The version byte of a reference.
pub const REF: u8 = 2;
const REF_LEN: usize = 33;
/// A chunk longer than this is not read (a damaged reference, not an allocation).
const MAX_CHUNK: u32 = 64 << 20;

/// Where a chunk's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRef {
    pub file: u64,
    pub offset: u64,
    pub len: u32,
    pub crc: u32,
    /// The chunk's last turn number (so finding a turn's chunk reads no file).
    pub last: u64,
}

impl ChunkRef {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(REF_LEN);
        v.push(REF);
        v.extend_from_slice(&self.file.to_le_bytes());
        v.extend_from_slice(&self.offset.to_le_bytes());
        v.extend_from_slice(&self.len.to_le_bytes());
        v.extend_from_slice(&self.crc.to_le_bytes());
        v.extend_from_slice(&self.last.to_le_bytes());
        v
    }

    /// A reference's value read back; `None` if `value` is not one.
    pub fn decode(value: &[u8]) -> Option<ChunkRef> {
        if value.len() != REF_LEN || value[0] != REF {
            return None;
        }
        let u64_at = |i: usize| u64::from_le_bytes(value[i..i + 8].try_into().unwrap_or_default());
        let u32_at = |i: usize| u32::from_le_bytes(value[i..i + 4].try_into().unwrap_or_default());
        Some(ChunkRef {
            file: u64_at(1),
            offset: u64_at(9),
            len: u32_at(17),
            crc: u32_at(21),
            last: u64_at(25),
        })
    }
}

/// The file appended to, and where its next bytes go.
struct Writer {
    number: u64,
    end: u64,
}

/// The turn files of one data dir: appends (one at a time) and reads (any number at once).
pub struct TurnFiles {
    dir: PathBuf,
    writer: Mutex<Writer>,
    /// Files opened so far, by number.
    open: Mutex<HashMap<u64, Arc<File>>>,
}

fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TurnFiles {
    /// The turn files under `data_dir` (none yet is fine: the first apply makes the first).
    pub fn open(data_dir: &Path) -> Result<TurnFiles, StoreError> {
        let dir = data_dir.join(DIR);
        let mut newest = None;
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(|e| io(&dir, e))?;
                    let name = entry.file_name();
                    let number = name
                        .to_str()
                        .and_then(|n| n.strip_suffix(".turns"))
                        .and_then(|n| n.parse::<u64>().ok());
                    newest = newest.max(number);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&dir, e)),
        }
        let writer = match newest {
            Some(number) => {
                let path = file_path(&dir, number);
                let end = std::fs::metadata(&path).map_err(|e| io(&path, e))?.len();
                Writer { number, end }
            }
            None => Writer { number: 1, end: 0 },
        };
        Ok(TurnFiles {
            dir,
            writer: Mutex::new(writer),
            open: Mutex::default(),
        })
    }

    /// Every file the store refers to (`f` keys of `tree`: file number → bytes referred to) is
    /// there and at least that long; else `Damaged`, naming the file.
    pub fn check(&self, tree: &sled::Tree) -> Result<(), StoreError> {
        for kv in tree.scan_prefix([keys::TURN_FILE]) {
            let (k, v) = kv?;
            let number = keys::turn_seq(&k).unwrap_or_default();
            let referred = v.as_ref().try_into().map_or(0, u64::from_be_bytes);
            let path = file_path(&self.dir, number);
            let what = match std::fs::metadata(&path) {
                Ok(m) if m.len() >= referred => continue,
                Ok(m) => format!(
                    "the turn file holds {} bytes and the store refers to {referred}: turns are \
                     lost",
                    m.len()
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    "the turn file is missing: turns are lost".to_owned()
                }
                Err(e) => return Err(io(&path, e)),
            };
            return Err(StoreError::Damaged { path, what });
        }
        Ok(())
    }

    /// Appends `chunks` (each its bytes and last turn) to the current file and makes them
    /// durable before returning their references, in the same order.
    pub fn append(&self, chunks: &[(&[u8], u64)]) -> Result<Vec<ChunkRef>, StoreError> {
        if chunks.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = lock(&self.writer);
        if w.end >= FILE_BYTES {
            w.number += 1;
            w.end = 0;
        }
        let path = file_path(&self.dir, w.number);
        let file = self.file(w.number, true)?;
        let mut bytes = Vec::with_capacity(chunks.iter().map(|(c, _)| c.len()).sum());
        let mut refs = Vec::with_capacity(chunks.len());
        for (chunk, last) in chunks {
            let len = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            refs.push(ChunkRef {
                file: w.number,
                offset: w.end + bytes.len() as u64,
                len,
                crc: crc32fast::hash(chunk),
                last: *last,
            });
            bytes.extend_from_slice(chunk);
        }
        file.write_all_at(&bytes, w.end)
            .and_then(|()| file.sync_data())
            .map_err(|e| io(&path, e))?;
        w.end += bytes.len() as u64;
        Ok(refs)
    }

    /// A chunk's bytes, checked against its CRC.
    pub fn read(&self, r: &ChunkRef) -> Result<Vec<u8>, StoreError> {
        let path = file_path(&self.dir, r.file);
        let corrupt = |message: String| StoreError::Corrupt {
            key: format!("{} at byte {}", path.display(), r.offset),
            message,
        };
        if r.len > MAX_CHUNK {
            return Err(corrupt(format!("a turn chunk of {} bytes", r.len)));
        }
        let file = self.file(r.file, false)?;
        let mut bytes = vec![0; r.len as usize];
        file.read_exact_at(&mut bytes, r.offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                corrupt("the turn file ends before the chunk".into())
            } else {
                io(&path, e)
            }
        })?;
        if crc32fast::hash(&bytes) != r.crc {
            return Err(corrupt("the turn chunk fails its checksum".into()));
        }
        Ok(bytes)
    }

    /// Where file `number` is.
    pub fn path(&self, number: u64) -> PathBuf {
        file_path(&self.dir, number)
    }

    /// File `number`, opened once; `create` makes it (and the directory) if it is missing,
    /// durably (the directory synced), as the writer does.
    fn file(&self, number: u64, create: bool) -> Result<Arc<File>, StoreError> {
        if let Some(f) = lock(&self.open).get(&number) {
            return Ok(f.clone());
        }
        let path = file_path(&self.dir, number);
        let file = if create && !path.exists() {
            std::fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir, e))?;
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| io(&path, e))?;
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io(&self.dir, e))?;
            f
        } else {
            OpenOptions::new()
                .read(true)
                .write(create)
                .open(&path)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => StoreError::Damaged {
                        path: path.clone(),
                        what: "a turn file the store refers to is missing".into(),
                    },
                    _ => io(&path, e),
                })?
        };
        let file = Arc::new(file);
        lock(&self.open).insert(number, file.clone());
        Ok(file)
    }
}

fn file_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:020}.turns"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_appended_durably_and_read_back_checked() {
        let dir = tempfile::tempdir().unwrap();
        let files = TurnFiles::open(dir.path()).unwrap();
        let refs = files
            .append(&[(b"first chunk".as_slice(), 3), (b"second".as_slice(), 9)])
            .unwrap();
        assert_eq!((refs[0].offset, refs[1].offset, refs[1].last), (0, 11, 9));
        assert_eq!(files.read(&refs[1]).unwrap(), b"second");
        assert_eq!(ChunkRef::decode(&refs[0].encode()), Some(refs[0]));
        assert_eq!(ChunkRef::decode(b"\x01not a reference"), None);

        // Opened again, it appends after what is there.
        drop(files);
        let files = TurnFiles::open(dir.path()).unwrap();
        let more = files.append(&[(b"third".as_slice(), 12)]).unwrap();
        assert_eq!(more[0].offset, 17);
        assert_eq!(files.read(&refs[0]).unwrap(), b"first chunk");

        // A flipped byte, a reference past the end, a missing file: errors, never a panic.
        let path = file_path(&dir.path().join(DIR), 1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[2] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let files = TurnFiles::open(dir.path()).unwrap();
        let flipped = files.read(&refs[0]).unwrap_err().to_string();
        assert!(flipped.contains("checksum"), "{flipped}");
        let past = ChunkRef {
            offset: 1 << 20,
            ..refs[1]
        };
        assert!(files.read(&past).unwrap_err().to_string().contains("ends"));
        let huge = ChunkRef {
            len: u32::MAX,
            ..refs[1]
        };
        assert!(files.read(&huge).is_err());
        let elsewhere = ChunkRef { file: 7, ..refs[1] };
        assert!(matches!(
            files.read(&elsewhere),
            Err(StoreError::Damaged { .. })
        ));
    }
}
