//! Unit tests of the journal on the simulator and on the real file system.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;

pub(super) fn dir() -> PathBuf {
    PathBuf::from("/j")
}

/// A journal on the simulator making no room ahead (so a test's cuts of a file's last bytes
/// cut records).
pub(super) fn open_sim(sim: &SimFiles, segment_bytes: u64) -> Result<Journal, JournalError> {
    open_room(sim, segment_bytes, 0)
}

/// A journal on the simulator that makes up to `room` zero bytes of room ahead of its records.
pub(super) fn open_room(
    sim: &SimFiles,
    segment_bytes: u64,
    room: u64,
) -> Result<Journal, JournalError> {
    Journal::open(
        &dir(),
        Arc::new(sim.clone()),
        Options {
            segment_bytes,
            preallocate: room,
            ..Options::default()
        },
    )
}

pub(super) fn all(j: &Journal) -> Vec<(Lsn, Vec<u8>)> {
    j.read_from(0)
        .expect("read")
        .collect::<Result<_, _>>()
        .expect("records")
}

fn segments(sim: &SimFiles) -> Vec<PathBuf> {
    let mut v = sim.list(&dir()).expect("list");
    v.sort();
    v
}

#[test]
fn a_journal_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Journal>();
    send_sync::<SimFiles>();
}

#[test]
fn records_are_numbered_from_one_and_read_back_after_reopen() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 1 << 20).unwrap();
    assert_eq!((j.first_lsn(), j.next_lsn(), j.durable()), (1, 1, 0));
    assert_eq!(j.append(b"one").unwrap(), 1);
    assert_eq!(j.append(b"").unwrap(), 2);
    assert_eq!(all(&j), vec![], "nothing is read before it is durable");
    assert_eq!(j.sync().unwrap(), 2);
    assert_eq!(j.append(b"three").unwrap(), 3);
    drop(j);
    let j = open_sim(&sim, 1 << 20).unwrap();
    assert_eq!(all(&j), vec![(1, b"one".to_vec()), (2, vec![])]);
    assert_eq!((j.next_lsn(), j.durable()), (3, 2));
    let from2: Vec<_> = j.read_from(2).unwrap().map(|r| r.unwrap().0).collect();
    assert_eq!(from2, vec![2]);
}

#[test]
fn a_failed_sync_poisons_every_later_call() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 1 << 20).unwrap();
    j.append(b"a").unwrap();
    j.sync().unwrap();
    j.append(b"b").unwrap();
    sim.fail_next_sync();
    assert!(matches!(j.sync(), Err(JournalError::Io { .. })));
    assert!(matches!(j.sync(), Err(JournalError::Poisoned)));
    assert!(matches!(j.append(b"c"), Err(JournalError::Poisoned)));
    assert!(matches!(j.release_before(5), Err(JournalError::Poisoned)));
    assert!(j.read_from(1).is_err());
    assert_eq!(j.durable(), 1, "the failed sync made nothing durable");
}

#[test]
fn group_commit_covers_every_returned_lsn() {
    let sim = SimFiles::new();
    let j = Arc::new(open_sim(&sim, 4096).unwrap());
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let j = Arc::clone(&j);
            std::thread::spawn(move || {
                for i in 0..50u8 {
                    let lsn = j.append(&[t, i]).unwrap();
                    let durable = j.sync().unwrap();
                    assert!(durable >= lsn, "sync returned {durable} before {lsn}");
                    assert!(j.durable() >= lsn);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let records = all(&j);
    assert_eq!(records.len(), 200);
    assert!(records
        .iter()
        .enumerate()
        .all(|(i, (lsn, _))| *lsn == i as u64 + 1));
    for t in 0..4u8 {
        let mine: Vec<u8> = records
            .iter()
            .filter(|(_, p)| p[0] == t)
            .map(|(_, p)| p[1])
            .collect();
        assert_eq!(
            mine,
            (0..50).collect::<Vec<_>>(),
            "each thread's records in its order"
        );
    }
}

#[test]
fn segments_rotate_and_release_deletes_whole_old_ones() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 100).unwrap();
    for i in 0..20u8 {
        j.append(&[i; 30]).unwrap();
        j.sync().unwrap();
    }
    let names = segments(&sim);
    assert!(names.len() >= 5, "{names:?}");
    assert_eq!(
        j.bytes(),
        names
            .iter()
            .map(|p| sim.bytes(p).unwrap().len() as u64)
            .sum::<u64>()
    );
    assert_eq!(j.release_before(1).unwrap(), 0);
    let deleted = j.release_before(10).unwrap();
    assert!(deleted > 0);
    assert!(
        j.first_lsn() <= 10 && j.first_lsn() > 1,
        "first {}",
        j.first_lsn()
    );
    assert_eq!(segments(&sim).len(), names.len() - deleted);
    let kept: Vec<Lsn> = all(&j).into_iter().map(|r| r.0).collect();
    assert_eq!(kept, (j.first_lsn()..=20).collect::<Vec<_>>());
    // Never the segment being written, whatever the number.
    j.release_before(1000).unwrap();
    assert_eq!(segments(&sim).len(), 1);
    j.append(b"after").unwrap();
    j.sync().unwrap();
    drop(j);
    let j = open_sim(&sim, 100).unwrap();
    assert_eq!(all(&j).last().unwrap(), &(21, b"after".to_vec()));
}

#[test]
fn a_torn_tail_is_cut_and_appending_continues_after_it() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 1 << 20).unwrap();
    for p in [b"first", b"secnd", b"third"] {
        j.append(p).unwrap();
    }
    j.sync().unwrap();
    drop(j);
    let path = segments(&sim).remove(0);
    let mut bytes = sim.bytes(&path).unwrap();
    let whole = bytes.len();
    bytes.truncate(whole - 3);
    sim.set_bytes(&path, bytes);
    let j = open_sim(&sim, 1 << 20).unwrap();
    assert_eq!(all(&j).len(), 2);
    assert_eq!(j.next_lsn(), 3);
    assert_eq!(j.append(b"again").unwrap(), 3);
    j.sync().unwrap();
    drop(j);
    let j = open_sim(&sim, 1 << 20).unwrap();
    assert_eq!(all(&j)[2], (3, b"again".to_vec()));
}

#[test]
fn damage_before_a_valid_record_of_the_last_segment_is_corrupt() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 1 << 20).unwrap();
    for i in 0..3u8 {
        j.append(&[i; 40]).unwrap();
    }
    j.sync().unwrap();
    drop(j);
    let last = segments(&sim).remove(0);
    let mut bytes = sim.bytes(&last).unwrap();
    bytes[frame::HEADER_LEN as usize + 20] ^= 1;
    sim.set_bytes(&last, bytes);
    let err = open_sim(&sim, 1 << 20).unwrap_err();
    assert!(
        matches!(&err, JournalError::Corrupt { path, offset: 12, .. } if *path == last),
        "{err}"
    );
}

#[test]
fn damage_in_an_older_segment_is_corrupt() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 60).unwrap();
    for i in 0..6u8 {
        j.append(&[i; 40]).unwrap();
        j.sync().unwrap();
    }
    drop(j);
    let names = segments(&sim);
    assert!(names.len() >= 2);
    // A cut in an earlier segment.
    let mut first = sim.bytes(&names[0]).unwrap();
    first.pop();
    sim.set_bytes(&names[0], first);
    let err = open_sim(&sim, 60).unwrap_err();
    assert!(
        matches!(&err, JournalError::Corrupt { path, .. } if *path == names[0]),
        "{err}"
    );
    assert!(
        err.to_string().contains("00000000000000000001.journal"),
        "{err}"
    );
}

#[test]
fn a_missing_middle_segment_is_corrupt() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 60).unwrap();
    for i in 0..6u8 {
        j.append(&[i; 40]).unwrap();
        j.sync().unwrap();
    }
    drop(j);
    let names = segments(&sim);
    sim.remove(&names[1]).unwrap();
    assert!(matches!(
        open_sim(&sim, 60),
        Err(JournalError::Corrupt { .. })
    ));
}

#[test]
fn unknown_files_are_ignored_and_oversized_records_refused() {
    let sim = SimFiles::new();
    sim.set_bytes(&dir().join("notes.txt"), b"hello".to_vec());
    let j = open_sim(&sim, 1 << 20).unwrap();
    assert!(matches!(
        j.append(&vec![0; MAX_RECORD + 1]),
        Err(JournalError::TooLarge { .. })
    ));
    j.append(b"x").unwrap();
    assert_eq!(j.sync().unwrap(), 1);
}

#[test]
fn scan_reports_damage_and_keeps_the_records_around_it() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 1 << 20).unwrap();
    for i in 0..5u8 {
        j.append(&[i; 10]).unwrap();
    }
    j.sync().unwrap();
    drop(j);
    let path = segments(&sim).remove(0);
    let mut bytes = sim.bytes(&path).unwrap();
    let second = frame::HEADER_LEN as usize + 26;
    bytes[second + 20] ^= 0xff;
    sim.set_bytes(&path, bytes);
    let found = scan(&dir(), &sim).unwrap();
    let lsns: Vec<Lsn> = found.records.iter().map(|r| r.0).collect();
    assert_eq!(lsns, vec![1, 3, 4, 5]);
    assert_eq!(
        found.damaged,
        vec![Damage {
            path,
            offset: second as u64,
            len: 26
        }]
    );
}

#[test]
fn a_power_cut_keeps_what_was_synced() {
    let sim = SimFiles::new();
    let j = open_sim(&sim, 1 << 20).unwrap();
    j.append(b"kept").unwrap();
    j.sync().unwrap();
    for seed in 0..20 {
        j.append(b"maybe").ok();
        sim.power_cut(seed);
        let again = open_sim(&sim, 1 << 20).unwrap();
        let records = all(&again);
        assert_eq!(records[0], (1, b"kept".to_vec()));
        assert!(records[1..].iter().all(|r| r.1 == b"maybe"));
        again.append(b"maybe").unwrap();
        let _ = again.sync();
        drop(again);
    }
}

#[test]
fn syncs_write_over_zeroed_room_and_the_file_grows_seldom() {
    let sim = SimFiles::new();
    let j = open_room(&sim, 1 << 20, 4096).unwrap();
    let path = segments(&sim).remove(0);
    let mut sizes = Vec::new();
    for i in 0..100u8 {
        j.append(&[i + 1; 50]).unwrap();
        j.sync().unwrap();
        sizes.push(sim.bytes(&path).unwrap().len() as u64);
    }
    let records = j.bytes();
    assert!(sizes[99] > records, "room ahead: {} > {records}", sizes[99]);
    sizes.dedup();
    // 100 syncs of 66 bytes each (6.6 KB): the file grew a few times, not at every sync.
    assert!(sizes.len() <= 6, "the file grew at {} syncs", sizes.len());
    let bytes = sim.bytes(&path).unwrap();
    assert!(bytes[records as usize..].iter().all(|&b| b == 0));
    drop(j);
    // Reopened: the zeros are room, not a torn tail; writing goes on over them.
    let j = open_room(&sim, 1 << 20, 4096).unwrap();
    assert_eq!(j.bytes(), records);
    assert_eq!(all(&j).len(), 100);
    assert_eq!(j.append(b"more").unwrap(), 101);
    j.sync().unwrap();
    assert_eq!(
        sim.bytes(&path).unwrap().len() as u64,
        sizes[sizes.len() - 1]
    );
    drop(j);
    let j = open_room(&sim, 1 << 20, 0).unwrap();
    assert_eq!(all(&j).last().unwrap(), &(101, b"more".to_vec()));
}

#[test]
fn zeros_then_anything_else_is_a_torn_tail_or_damage() {
    let sim = SimFiles::new();
    let j = open_room(&sim, 200, 512).unwrap();
    for i in 0..8u8 {
        j.append(&[i + 1; 40]).unwrap();
        j.sync().unwrap();
    }
    drop(j);
    let names = segments(&sim);
    assert!(names.len() >= 2, "{names:?}");
    // Older segments end in room too, and open cleanly.
    let all_before = all(&open_room(&sim, 200, 512).unwrap());
    assert_eq!(all_before.len(), 8);
    // Junk after the zeros of the last segment: a torn tail, cut; the records stay.
    let last = names.last().unwrap();
    let mut bytes = sim.bytes(last).unwrap();
    bytes.extend_from_slice(&[7, 7, 7]);
    sim.set_bytes(last, bytes);
    let j = open_room(&sim, 200, 512).unwrap();
    assert_eq!(all(&j), all_before);
    drop(j);
    // The same in an older segment: damage.
    let mut first = sim.bytes(&names[0]).unwrap();
    assert_eq!(*first.last().unwrap(), 0, "the older segment has room");
    first.push(7);
    sim.set_bytes(&names[0], first);
    let err = open_room(&sim, 200, 512).unwrap_err();
    assert!(
        matches!(&err, JournalError::Corrupt { path, .. } if *path == names[0]),
        "{err}"
    );
}

fn os_round_trip(dir: &Path) {
    let files: Arc<dyn Files> = Arc::new(OsFiles);
    let j = Journal::open(
        dir,
        Arc::clone(&files),
        Options {
            segment_bytes: 64,
            ..Options::default()
        },
    )
    .unwrap();
    for i in 0..10u8 {
        j.append(&[i; 20]).unwrap();
        j.sync().unwrap();
    }
    assert!(j.release_before(5).unwrap() > 0);
    let first = j.first_lsn();
    drop(j);
    let j = Journal::open(
        dir,
        files,
        Options {
            segment_bytes: 64,
            ..Options::default()
        },
    )
    .unwrap();
    let got: Vec<_> = all(&j);
    assert_eq!(got.first().map(|r| r.0), Some(first));
    assert_eq!(got.last(), Some(&(10, vec![9; 20])));
    assert_eq!(j.next_lsn(), 11);
}

#[test]
fn os_files_round_trip_with_real_fdatasync() {
    let tmp = tempfile::tempdir().unwrap();
    os_round_trip(&tmp.path().join("journal"));
}
