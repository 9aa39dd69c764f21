//! Property tests: power cuts at random points against a model of what was synced, and
//! arbitrary or mutated bytes as segment files.

use std::io;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;

use super::tests::{all, dir, open_room, open_sim};
use super::*;

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<u8>),
    Sync,
    Release(u8),
    Cut(u64),
    Reopen,
    FailSync,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Op::Append),
        4 => Just(Op::Sync),
        1 => any::<u8>().prop_map(|k| Op::Release(k % 16)),
        2 => any::<u64>().prop_map(Op::Cut),
        1 => Just(Op::Reopen),
        1 => Just(Op::FailSync),
    ]
}

/// What the journal must hold: records known durable, records appended since, and the
/// highest release (records at or above it are never deleted).
#[derive(Default)]
struct Model {
    synced: Vec<(Lsn, Vec<u8>)>,
    unsynced: Vec<(Lsn, Vec<u8>)>,
    released: Lsn,
}

const SEGMENT: u64 = 512;

/// After a reopen: every synced record still kept is there, in order and dense; what follows
/// is a prefix of the unsynced appends; the model becomes what was found.
fn reopen_and_check(sim: &SimFiles, model: &mut Model, room: u64) -> Journal {
    let j = open_room(sim, SEGMENT, room).expect("a journal opens after a cut");
    let records = all(&j);
    let first = j.first_lsn();
    assert!(
        first <= model.released.max(1),
        "first {first} past the release {}",
        model.released
    );
    for (i, (lsn, _)) in records.iter().enumerate() {
        assert_eq!(*lsn, first + i as u64, "numbers are dense from first_lsn");
    }
    let kept: Vec<_> = model
        .synced
        .iter()
        .filter(|r| r.0 >= first)
        .cloned()
        .collect();
    assert!(
        records.len() >= kept.len(),
        "synced records lost: {} of {}",
        records.len(),
        kept.len()
    );
    assert_eq!(
        records[..kept.len()],
        kept[..],
        "synced records as they were"
    );
    let extra = &records[kept.len()..];
    assert!(extra.len() <= model.unsynced.len());
    assert_eq!(
        extra,
        &model.unsynced[..extra.len()],
        "what survived unsynced is a prefix"
    );
    let next = records.last().map_or(first, |r| r.0 + 1);
    assert_eq!((j.next_lsn(), j.durable()), (next, next - 1));
    model.synced = records;
    model.unsynced.clear();
    j
}

/// `room`: the journal's preallocation (0: none).
fn run(ops: Vec<Op>, room: u64) {
    let sim = SimFiles::new();
    let mut model = Model::default();
    let mut j = open_room(&sim, SEGMENT, room).expect("open");
    let mut poisoned = false;
    for op in ops {
        match op {
            Op::Append(p) => match j.append(&p) {
                Ok(lsn) => {
                    let expected = model
                        .unsynced
                        .last()
                        .or(model.synced.last())
                        .map_or(j.first_lsn(), |r| r.0 + 1);
                    assert_eq!(lsn, expected);
                    model.unsynced.push((lsn, p));
                }
                Err(e) => assert!(poisoned && matches!(e, JournalError::Poisoned), "{e}"),
            },
            Op::Sync | Op::FailSync => {
                let fail = matches!(op, Op::FailSync) && !model.unsynced.is_empty() && !poisoned;
                if fail {
                    sim.fail_next_sync();
                }
                match j.sync() {
                    Ok(hi) => {
                        assert!(!poisoned && !fail);
                        assert_eq!(hi, j.next_lsn() - 1);
                        model.synced.append(&mut model.unsynced);
                    }
                    Err(_) => {
                        assert!(poisoned || fail);
                        poisoned = true;
                    }
                }
            }
            Op::Release(k) => {
                let before = j.first_lsn();
                let to = before + u64::from(k);
                match j.release_before(to) {
                    Ok(_) => {
                        model.released = model.released.max(to);
                        assert!(j.first_lsn() >= before && j.first_lsn() <= to.max(before));
                    }
                    Err(e) => assert!(poisoned && matches!(e, JournalError::Poisoned), "{e}"),
                }
            }
            Op::Cut(seed) => {
                drop(j);
                sim.power_cut(seed);
                j = reopen_and_check(&sim, &mut model, room);
                poisoned = false;
            }
            Op::Reopen => {
                drop(j);
                j = reopen_and_check(&sim, &mut model, room);
                poisoned = false;
            }
        }
    }
    // Appending goes on after the last cut, from next_lsn.
    drop(j);
    sim.power_cut(7);
    let j = reopen_and_check(&sim, &mut model, room);
    let lsn = j.append(b"last").expect("append after reopen");
    assert_eq!(lsn, j.next_lsn() - 1);
    assert_eq!(j.sync().expect("sync after reopen"), lsn);
    assert_eq!(all(&j).last(), Some(&(lsn, b"last".to_vec())));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn synced_records_survive_power_cuts(
        ops in proptest::collection::vec(op(), 1..60),
        room in prop_oneof![Just(0u64), 1..700u64],
    ) {
        run(ops, room);
    }
}

/// Reads checked: nothing reads (so nothing allocates) more than the file holds.
struct Bounded;

impl Watch for Bounded {
    fn read_at(
        &self,
        _path: &Path,
        file: &dyn SegmentFile,
        offset: u64,
        len: usize,
    ) -> io::Result<()> {
        let size = file.len()?;
        assert!(
            offset + len as u64 <= size,
            "a read of {len} at {offset} past {size}"
        );
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Junk(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        any::<usize>().prop_map(Mutation::Cut),
        proptest::collection::vec(any::<u8>(), 1..64).prop_map(Mutation::Junk),
    ]
}

/// Opens and scans whatever is in the simulator; Ok gives records dense from 1 that, when
/// `originals` are known, are a prefix of them; an error is `Corrupt` naming a file in the dir.
fn open_and_scan(sim: &SimFiles, originals: Option<&[Vec<u8>]>) {
    let bounded: Arc<dyn Files> = Arc::new(Tapped::new(sim.clone(), Arc::new(Bounded)));
    let scanned = scan(&dir(), &*bounded).expect("scan fails only on I/O");
    if let Some(originals) = originals {
        for (lsn, payload) in &scanned.records {
            assert_eq!(
                Some(payload),
                originals.get(*lsn as usize - 1),
                "scan found record {lsn} changed"
            );
        }
    }
    match Journal::open(
        &dir(),
        bounded,
        Options {
            segment_bytes: 256,
            ..Options::default()
        },
    ) {
        Ok(j) => {
            let records = all(&j);
            for (i, (lsn, payload)) in records.iter().enumerate() {
                assert_eq!(*lsn, j.first_lsn() + i as u64);
                if let Some(originals) = originals {
                    assert_eq!(Some(payload), originals.get(*lsn as usize - 1));
                }
            }
            let lsn = j.append(b"more").expect("append");
            assert_eq!(j.sync().expect("sync"), lsn);
        }
        Err(JournalError::Corrupt { path, .. }) => assert_eq!(path.parent(), Some(dir().as_path())),
        Err(e) => panic!("neither Ok nor Corrupt: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(header in any::<bool>(), bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let sim = SimFiles::new();
        let mut file = if header { frame::header().to_vec() } else { Vec::new() };
        file.extend_from_slice(&bytes);
        sim.set_bytes(&dir().join(format!("{:020}.journal", 1)), file);
        open_and_scan(&sim, None);
    }

    #[test]
    fn a_mutated_journal_opens_to_a_prefix_or_is_corrupt(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 1..12),
        which in any::<usize>(),
        change in mutation(),
    ) {
        let sim = SimFiles::new();
        let j = open_sim(&sim, 256).expect("open");
        for p in &payloads {
            j.append(p).expect("append");
            j.sync().expect("sync");
        }
        drop(j);
        let mut names = sim.list(&dir()).expect("list");
        names.sort();
        let path = &names[which % names.len()];
        let mut bytes = sim.bytes(path).expect("bytes");
        match change {
            Mutation::Flip(at, bit) => {
                let at = at % bytes.len();
                bytes[at] ^= 1 << bit;
            }
            Mutation::Cut(at) => bytes.truncate(at % (bytes.len() + 1)),
            Mutation::Junk(junk) => bytes.extend_from_slice(&junk),
        }
        sim.set_bytes(path, bytes);
        open_and_scan(&sim, Some(&payloads));
    }
}
