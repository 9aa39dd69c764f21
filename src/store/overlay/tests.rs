//! The store's reads through the overlay against a model: random writes, removals, applies
//! to sled and barriers, with every read (`get`, `range`, `prefix`, `last_key`) compared with
//! a plain map after each step, and the same state after a reopen.

use super::super::{Store, WriteSet};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::ops::Bound;

#[derive(Debug, Clone)]
enum Step {
    /// One write set: keys (from a small space, so they collide) set or removed.
    Write(Vec<(Vec<u8>, Option<Vec<u8>>)>),
    Apply,
    Barrier,
}

/// Keys of two spaces (`t` and `v`, either side of `u`) with one or two more bytes, so ranges,
/// prefixes and neighbours all get exercised.
fn key() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(b't'), Just(b'v')],
        proptest::collection::vec(0u8..4, 1..3),
    )
        .prop_map(|(space, rest)| {
            let mut k = vec![space];
            k.extend(rest);
            k
        })
}

fn step() -> impl Strategy<Value = Step> {
    let op = (
        key(),
        proptest::option::weighted(0.75, proptest::collection::vec(any::<u8>(), 0..40)),
    );
    prop_oneof![
        6 => proptest::collection::vec(op, 1..5).prop_map(Step::Write),
        2 => Just(Step::Apply),
        1 => Just(Step::Barrier),
    ]
}

fn check(store: &Store, model: &BTreeMap<Vec<u8>, Vec<u8>>) {
    for (k, v) in model {
        assert_eq!(
            store.get(k).unwrap().as_deref(),
            Some(v.as_slice()),
            "get {k:?}"
        );
    }
    let all: Vec<(Vec<u8>, Vec<u8>)> = store
        .range(Bound::Included(vec![b't']), Bound::Excluded(vec![b'w']))
        .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
        .collect();
    let expected: Vec<(Vec<u8>, Vec<u8>)> =
        model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(all, expected, "the whole range");
    for space in [b't', b'u', b'v'] {
        let got: Vec<Vec<u8>> = store
            .prefix([space])
            .keys()
            .map(|k| k.unwrap().to_vec())
            .collect();
        let want: Vec<Vec<u8>> = model.keys().filter(|k| k[0] == space).cloned().collect();
        assert_eq!(got, want, "prefix {space}");
        let last = store.last_key([space]).unwrap().map(|k| k.to_vec());
        assert_eq!(last, want.last().cloned(), "last of {space}");
    }
    // A range starting and ending inside a space.
    let got: Vec<Vec<u8>> = store
        .range(
            Bound::Excluded(vec![b't', 1]),
            Bound::Included(vec![b'v', 2]),
        )
        .keys()
        .map(|k| k.unwrap().to_vec())
        .collect();
    let want: Vec<Vec<u8>> = model
        .range::<[u8], _>((
            Bound::Excluded(&[b't', 1][..]),
            Bound::Included(&[b'v', 2][..]),
        ))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(got, want, "an inner range");
    // Ranges that hold nothing, the wrong way round or empty at one key.
    for (from, to) in [
        (Bound::Included(vec![b'v']), Bound::Excluded(vec![b't'])),
        (
            Bound::Excluded(vec![b't', 1]),
            Bound::Excluded(vec![b't', 1]),
        ),
        (
            Bound::Included(vec![b't', 2]),
            Bound::Excluded(vec![b't', 2]),
        ),
    ] {
        assert_eq!(store.range(from, to).count(), 0);
    }
}

pub(crate) fn reopen(dir: &std::path::Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(dir, 1 << 20) {
            Err(crate::store::StoreError::Locked { .. })
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            opened => return opened.unwrap(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn reads_through_the_overlay_match_a_model(steps in proptest::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut model = BTreeMap::new();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            for step in steps {
                match step {
                    Step::Write(ops) => {
                        let mut set = WriteSet::default();
                        for (k, v) in ops {
                            match v {
                                Some(v) => {
                                    model.insert(k.clone(), v.clone());
                                    set.insert(k, v);
                                }
                                None => {
                                    model.remove(&k);
                                    set.remove(k);
                                }
                            }
                        }
                        store.write(set).unwrap();
                    }
                    Step::Apply => {
                        store.apply().unwrap();
                        prop_assert!(store.overlay.range(Bound::Unbounded, Bound::Unbounded).is_empty());
                    }
                    Step::Barrier => {
                        store.barrier().unwrap();
                    }
                }
                check(&store, &model);
            }
            store.flush().unwrap();
        }
        // A reopen replays what sled had not taken. (sled lets its lock go once its own
        // threads see the handle dropped.)
        let store = reopen(dir.path());
        check(&store, &model);
    }
}
