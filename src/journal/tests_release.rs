//! Unit tests of releasing segments while the journal is in use: a sync never waits on a
//! delete, a rename or delete that fails is tried again, a large segment goes a cut at a time.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::recover::CUT_STEP;
use super::tests::{all, dir};
use super::*;

/// What a [`Hooked`] remove or rename does before the simulator's: `Err` fails it.
type Before = Box<dyn Fn(&Path) -> io::Result<()> + Send + Sync>;

fn nothing() -> Before {
    Box::new(|_| Ok(()))
}

/// Every truncation: which file, to what length.
type Cuts = Arc<Mutex<Vec<(PathBuf, u64)>>>;

/// The simulator with hooks in front of removes and renames, and a log of every truncation
/// (through [`Tapped`]).
struct Hooked {
    sim: SimFiles,
    before_remove: Before,
    before_rename: Before,
    truncations: Cuts,
}

impl Hooked {
    fn new(sim: &SimFiles) -> Hooked {
        Hooked {
            sim: sim.clone(),
            before_remove: nothing(),
            before_rename: nothing(),
            truncations: Arc::default(),
        }
    }
}

impl Hooked {
    /// The simulator behind these hooks, as the journal's files.
    fn tapped(self) -> Tapped<SimFiles, Hooked> {
        Tapped::new(self.sim.clone(), Arc::new(self))
    }
}

impl Watch for Hooked {
    fn remove(&self, path: &Path) -> io::Result<()> {
        (self.before_remove)(path)
    }
    fn rename(&self, from: &Path, _to: &Path) -> io::Result<()> {
        (self.before_rename)(from)
    }
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.truncations
            .lock()
            .unwrap()
            .push((path.to_path_buf(), len));
        Ok(())
    }
}

fn options(segment_bytes: u64) -> Options {
    Options {
        segment_bytes,
        preallocate: 0,
        ..Options::default()
    }
}

/// A journal of small segments on `files` holding records 1..=20, 30 bytes each.
fn twenty_records(files: Hooked) -> Journal {
    let j = Journal::open(&dir(), Arc::new(files.tapped()), options(100)).unwrap();
    for i in 0..20u8 {
        j.append(&[i; 30]).unwrap();
        j.sync().unwrap();
    }
    j
}

fn names(sim: &SimFiles) -> Vec<String> {
    let mut v: Vec<String> = sim
        .list(&dir())
        .unwrap()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn retired(sim: &SimFiles) -> usize {
    names(sim)
        .iter()
        .filter(|n| n.ends_with(".retired"))
        .count()
}

#[test]
fn a_sync_does_not_wait_for_a_segment_being_deleted() {
    // Deleting a large file takes the file system milliseconds; every DM in flight waits for
    // the next sync, so a sync must not wait for the delete.
    let (entered_tx, entered) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let mut hooked = Hooked::new(&SimFiles::new());
    hooked.before_remove = Box::new(move |_| {
        let _ = entered_tx.send(());
        let _ = go_rx.lock().unwrap().recv_timeout(Duration::from_secs(30));
        Ok(())
    });
    let j = Arc::new(twenty_records(hooked));
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
fn a_segment_whose_rename_failed_is_still_a_segment_and_goes_next_time() {
    let sim = SimFiles::new();
    let mut hooked = Hooked::new(&sim);
    let failures = Arc::new(Mutex::new(1));
    let left = failures.clone();
    hooked.before_rename = Box::new(move |_| {
        let mut left = left.lock().unwrap();
        if *left == 0 {
            return Ok(());
        }
        *left -= 1;
        Err(io::Error::other("the disk said no"))
    });
    let j = twenty_records(hooked);
    let (first, bytes, before) = (j.first_lsn(), j.bytes(), names(&sim));
    assert!(matches!(j.release_before(10), Err(JournalError::Io { .. })));
    // Nothing forgotten: every segment still counted, readable and on disk.
    assert_eq!((j.first_lsn(), j.bytes()), (first, bytes));
    assert_eq!(names(&sim), before);
    let kept: Vec<Lsn> = all(&j).into_iter().map(|r| r.0).collect();
    assert_eq!(kept, (1..=20).collect::<Vec<_>>());
    let released = j.release_before(10).unwrap();
    assert!(released > 0);
    assert_eq!(names(&sim).len(), before.len() - released);
    assert!(j.first_lsn() > 1 && j.first_lsn() <= 10);
}

#[test]
fn a_retired_segment_whose_delete_failed_goes_at_the_next_release_or_open() {
    let sim = SimFiles::new();
    let mut hooked = Hooked::new(&sim);
    let failing = Arc::new(Mutex::new(true));
    let fail = failing.clone();
    hooked.before_remove = Box::new(move |_| match *fail.lock().unwrap() {
        true => Err(io::Error::other("the disk said no")),
        false => Ok(()),
    });
    let j = twenty_records(hooked);
    let segments_before = names(&sim).len();
    // The records are released all the same; the files wait, out of the segments' names.
    let released = j.release_before(10).unwrap();
    assert!(released > 0);
    assert_eq!(retired(&sim), released);
    assert_eq!(names(&sim).len(), segments_before);
    let kept: Vec<Lsn> = all(&j).into_iter().map(|r| r.0).collect();
    assert_eq!(kept, (j.first_lsn()..=20).collect::<Vec<_>>());
    *failing.lock().unwrap() = false;
    assert_eq!(j.release_before(10).unwrap(), 0);
    assert_eq!(retired(&sim), 0);
    assert_eq!(names(&sim).len(), segments_before - released);

    // And open deletes any left over (a release cut short), reading only the segments.
    *failing.lock().unwrap() = true;
    let released = j.release_before(15).unwrap();
    assert!(released > 0 && retired(&sim) == released);
    let first = j.first_lsn();
    drop(j);
    *failing.lock().unwrap() = false;
    let j = Journal::open(&dir(), Arc::new(sim.clone()), options(100)).unwrap();
    assert_eq!(retired(&sim), 0);
    let kept: Vec<Lsn> = all(&j).into_iter().map(|r| r.0).collect();
    assert_eq!(kept, (first..=20).collect::<Vec<_>>());
}

#[test]
fn a_large_released_segment_is_cut_down_a_step_at_a_time() {
    let sim = SimFiles::new();
    let hooked = Hooked::new(&sim);
    let truncations = hooked.truncations.clone();
    // Three records of 9 MiB: two segments of one record each, then the one being written.
    let j = Journal::open(&dir(), Arc::new(hooked.tapped()), options(1 << 20)).unwrap();
    for i in 0..3u8 {
        j.append(&vec![i; 9 << 20]).unwrap();
        j.sync().unwrap();
    }
    truncations.lock().unwrap().clear();
    assert_eq!(j.release_before(3).unwrap(), 2);
    let cuts = truncations.lock().unwrap().clone();
    // Each file of 9 MiB and a few bytes: one cut of CUT_STEP, then the rest deleted.
    assert_eq!(cuts.len(), 2, "{cuts:?}");
    for (path, len) in &cuts {
        assert!(path.to_string_lossy().ends_with(".retired"), "{path:?}");
        assert!(
            *len > (9 << 20) - CUT_STEP && *len < (10 << 20) - CUT_STEP,
            "{len}"
        );
    }
    assert_eq!(retired(&sim), 0);
    assert_eq!(all(&j).len(), 1);
}

#[test]
fn a_rename_counts_only_once_its_directory_is_synced() {
    let sim = SimFiles::new();
    sim.create_dir_all(&dir()).unwrap();
    let (a, b) = (dir().join("a"), dir().join("b"));
    sim.set_bytes(&a, b"kept".to_vec());
    sim.rename(&a, &b).unwrap();
    assert_eq!(
        (sim.bytes(&a), sim.bytes(&b)),
        (None, Some(b"kept".to_vec()))
    );
    sim.power_cut(1);
    assert_eq!(
        (sim.bytes(&a), sim.bytes(&b)),
        (Some(b"kept".to_vec()), None)
    );
    sim.rename(&a, &b).unwrap();
    sim.sync_dir(&dir()).unwrap();
    sim.power_cut(2);
    assert_eq!(
        (sim.bytes(&a), sim.bytes(&b)),
        (None, Some(b"kept".to_vec()))
    );
}
