//! Power cuts against the store, simulated: the journal's files live on `SimFiles`, which forget
//! what was not synced (and may tear the last write); sled is put back to its files as of the
//! last barrier (a barrier `fsync`s it: it never holds less) or, as sled's own background
//! flusher may have left it, as of any later moment it wrote them out (`SledFlush`), which can
//! hold write sets the journal lost. After each recovery every acknowledged write set is there,
//! none is half applied, and the store equals the model after some whole number of write sets.

use super::{Store, WriteSet};
use crate::journal::SimFiles;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Step {
    /// Up to four keys set or removed at once.
    Write(Vec<(u8, bool)>),
    /// `Store::flush`: everything written so far is acknowledged.
    Flush,
    Barrier,
    /// sled writes its files out on its own, unsynced: a state a power cut may leave.
    SledFlush,
    PowerCut(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => prop::collection::vec((0u8..12, any::<bool>()), 1..4).prop_map(Step::Write),
        2 => Just(Step::Flush),
        1 => Just(Step::Barrier),
        2 => Just(Step::SledFlush),
        2 => any::<u64>().prop_map(Step::PowerCut),
    ]
}

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

fn key(k: u8) -> Vec<u8> {
    vec![b'z', k]
}

/// What the store holds under the test's keys.
fn contents(store: &Store) -> Map {
    store
        .tree
        .scan_prefix([b'z'])
        .map(|kv| {
            let (k, v) = kv.unwrap();
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

/// sled's files (and the state file) as they are now: what a barrier made durable.
fn copy_sled(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            let name = e.file_name().to_string_lossy().into_owned();
            files.push((name, std::fs::read(e.path()).unwrap()));
        }
    }
    files
}

fn put_back(dir: &Path, files: &[(String, Vec<u8>)]) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

fn open(dir: &Path, sim: &Arc<SimFiles>) -> Store {
    Store::open_with(dir, 1 << 20, sim.clone()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn acknowledged_writes_survive_power_cuts_and_none_is_half_applied(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let sim = Arc::new(SimFiles::new());
        let mut store = open(dir.path(), &sim);
        // sled's possible states after a cut: the last barrier's, then later flushes.
        let mut images = vec![copy_sled(dir.path())];
        // The model: the states after each write set since the last recovery (the first is
        // the state recovered), and how many of them are acknowledged.
        let mut states: Vec<Map> = vec![Map::new()];
        let mut acked = 0;
        let mut value = 0u64;
        for step in steps {
            match step {
                Step::Write(ops) => {
                    let mut set = WriteSet::default();
                    let mut next = states.last().cloned().unwrap_or_default();
                    for (k, put) in ops {
                        if put {
                            value += 1;
                            let v = value.to_be_bytes().to_vec();
                            set.insert(key(k), v.clone());
                            next.insert(key(k), v);
                        } else {
                            set.remove(key(k));
                            next.remove(&key(k));
                        }
                    }
                    store.write(set).unwrap();
                    states.push(next);
                }
                Step::Flush => {
                    store.flush().unwrap();
                    acked = states.len() - 1;
                }
                Step::Barrier => {
                    store.barrier().unwrap();
                    images = vec![copy_sled(dir.path())];
                }
                Step::SledFlush => {
                    store.db.flush().unwrap();
                    images.push(copy_sled(dir.path()));
                }
                Step::PowerCut(seed) => {
                    drop(store);
                    sim.power_cut(seed);
                    put_back(dir.path(), &images[seed as usize % images.len()]);
                    store = open(dir.path(), &sim);
                    let now = contents(&store);
                    let k = (acked..states.len()).find(|&k| states[k] == now);
                    prop_assert!(
                        k.is_some(),
                        "recovered {now:?}: not the model after {acked} acknowledged write sets \
                         or any later whole one ({states:?})"
                    );
                    // What was lost is lost for good: the model goes on from what is there.
                    states = vec![now];
                    acked = 0;
                    // Start-up took a barrier (or had nothing to replay): sled as it is now.
                    images = vec![copy_sled(dir.path())];
                }
            }
        }
    }
}
