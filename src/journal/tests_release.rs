//! Unit tests of releasing segments while the journal is in use: a sync never waits on a
//! delete, and a delete that fails is tried again.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::tests::{all, dir};
use super::*;

/// What a [`Hooked`] remove does before the simulator's: `Err` fails it.
type BeforeRemove = Box<dyn Fn(&Path) -> io::Result<()> + Send + Sync>;

/// The simulator with a hook in front of every remove.
struct Hooked {
    sim: SimFiles,
    before_remove: BeforeRemove,
}

impl std::fmt::Debug for Hooked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooked")
    }
}

impl Files for Hooked {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.sim.create_dir_all(dir)
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        self.sim.list(dir)
    }
    fn open(&self, path: &Path, create: bool) -> io::Result<Box<dyn SegmentFile>> {
        self.sim.open(path, create)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        (self.before_remove)(path)?;
        self.sim.remove(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.sim.sync_dir(dir)
    }
}

/// A journal of small segments on `files` holding records 1..=20, 30 bytes each.
fn twenty_records(files: Arc<dyn Files>) -> Journal {
    let options = Options {
        segment_bytes: 100,
        preallocate: 0,
        ..Options::default()
    };
    let j = Journal::open(&dir(), files, options).unwrap();
    for i in 0..20u8 {
        j.append(&[i; 30]).unwrap();
        j.sync().unwrap();
    }
    j
}

#[test]
fn a_sync_does_not_wait_for_a_segment_being_deleted() {
    // Deleting a large file takes the file system milliseconds; every DM in flight waits for
    // the next sync, so a sync must not wait for the delete.
    let (entered_tx, entered) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let hooked = Hooked {
        sim: SimFiles::new(),
        before_remove: Box::new(move |_| {
            let _ = entered_tx.send(());
            let _ = go_rx.lock().unwrap().recv_timeout(Duration::from_secs(30));
            Ok(())
        }),
    };
    let j = Arc::new(twenty_records(Arc::new(hooked)));
    let releasing = {
        let j = j.clone();
        std::thread::spawn(move || j.release_before(10))
    };
    entered.recv_timeout(Duration::from_secs(10)).unwrap();
    let (synced_tx, synced) = mpsc::channel();
    let syncing = {
        let j = j.clone();
        std::thread::spawn(move || {
            j.append(b"during").unwrap();
            let _ = synced_tx.send(j.sync());
        })
    };
    let during = synced.recv_timeout(Duration::from_secs(5));
    drop(go);
    assert!(
        matches!(during, Ok(Ok(21))),
        "the sync waited for the delete: {during:?}"
    );
    syncing.join().unwrap();
    assert!(releasing.join().unwrap().unwrap() > 0);
    let kept: Vec<Lsn> = all(&j).into_iter().map(|r| r.0).collect();
    assert_eq!(kept, (j.first_lsn()..=21).collect::<Vec<_>>());
}

#[test]
fn a_segment_whose_delete_failed_is_deleted_by_the_next_release() {
    let failures = Arc::new(Mutex::new(1));
    let left = failures.clone();
    let sim = SimFiles::new();
    let hooked = Hooked {
        sim: sim.clone(),
        before_remove: Box::new(move |_| {
            let mut left = left.lock().unwrap();
            if *left == 0 {
                return Ok(());
            }
            *left -= 1;
            Err(io::Error::other("the disk said no"))
        }),
    };
    let j = twenty_records(Arc::new(hooked));
    let (first, bytes, on_disk) = (j.first_lsn(), j.bytes(), sim.list(&dir()).unwrap().len());
    assert!(matches!(j.release_before(10), Err(JournalError::Io { .. })));
    // Nothing forgotten: the segments are all still counted and readable.
    assert_eq!((j.first_lsn(), j.bytes()), (first, bytes));
    assert_eq!(sim.list(&dir()).unwrap().len(), on_disk);
    let kept: Vec<Lsn> = all(&j).into_iter().map(|r| r.0).collect();
    assert_eq!(kept, (1..=20).collect::<Vec<_>>());
    let deleted = j.release_before(10).unwrap();
    assert!(deleted > 0);
    assert_eq!(sim.list(&dir()).unwrap().len(), on_disk - deleted);
    assert!(j.first_lsn() > 1 && j.first_lsn() <= 10);
}
