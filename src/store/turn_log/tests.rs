//! The turn log against a model: turns of every size written, applied into chunks, replayed
//! as single keys the way start-up does, with barriers and a reopen; every read compared.
//! And a chunk's parser on arbitrary bytes.

use super::super::chunks::{self, Chunk};
use super::super::records::{self, TurnRecord};
use super::super::tests::{conversation, message};
use super::super::{keys, Store, WriteSet};
use crate::domain::Author;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    /// Turns of these text lengths, each in a write set of its own or all in one.
    Write(Vec<usize>, bool),
    /// Turns of these text lengths put straight into sled as single keys (as a data dir an
    /// earlier release wrote, or a start-up's replay, holds them).
    Singles(Vec<usize>),
    Apply,
    Barrier,
}

fn step() -> impl Strategy<Value = Step> {
    // Lengths around a chunk's size, so some turns go alone and some chunks hold one.
    let lengths = proptest::collection::vec(
        prop_oneof![4 => 0usize..1_500, 1 => 5_000usize..9_000],
        1..12,
    );
    prop_oneof![
        5 => (lengths.clone(), any::<bool>()).prop_map(|(l, one)| Step::Write(l, one)),
        1 => lengths.prop_map(Step::Singles),
        2 => Just(Step::Apply),
        1 => Just(Step::Barrier),
    ]
}

fn turn(seq: u64, len: usize) -> TurnRecord {
    let mut m = message(seq, 1, Author::Customer);
    m.text = "x".repeat(len);
    TurnRecord {
        event: None,
        conversation: conversation(seq, 1),
        messages: vec![m],
    }
}

fn check(store: &Store, model: &[TurnRecord], probes: &[(u64, u64, usize)]) {
    let n = model.len() as u64;
    assert_eq!(store.next_turn().unwrap(), n);
    for (seq, want) in model.iter().enumerate() {
        assert_eq!(
            store.turn(seq as u64).unwrap().as_ref(),
            Some(want),
            "turn {seq}"
        );
    }
    assert_eq!(store.turn(n).unwrap(), None);
    for &(from, len, limit) in probes {
        let end = from.saturating_add(len);
        let got = store.turns(from, end, limit).unwrap();
        let want: Vec<(u64, TurnRecord)> = (from..end.min(n))
            .take(limit)
            .map(|s| (s, model[s as usize].clone()))
            .collect();
        assert_eq!(got, want, "turns({from}, {end}, {limit})");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn turns_read_the_same_single_or_chunked_before_and_after_a_reopen(
        steps in proptest::collection::vec(step(), 1..16),
        probes in proptest::collection::vec((0u64..60, 0u64..40, 1usize..30), 4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut model: Vec<TurnRecord> = Vec::new();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            for step in steps {
                match step {
                    Step::Write(lengths, one) => {
                        let mut set = WriteSet::default();
                        for len in lengths {
                            let seq = model.len() as u64;
                            model.push(turn(seq, len));
                            set.turn(seq, &model[seq as usize]);
                            if !one {
                                store.write(std::mem::take(&mut set)).unwrap();
                            }
                        }
                        store.write(set).unwrap();
                    }
                    Step::Singles(lengths) => {
                        // Only behind an applied overlay, as start-up replays into sled.
                        store.apply().unwrap();
                        for len in lengths {
                            let seq = model.len() as u64;
                            model.push(turn(seq, len));
                            let value = records::encode(&model[seq as usize]);
                            store.tree.insert(keys::turn(seq), value).unwrap();
                        }
                    }
                    Step::Apply => {
                        store.apply().unwrap();
                    }
                    Step::Barrier => {
                        store.barrier().unwrap();
                    }
                }
                check(&store, &model, &probes);
            }
            store.flush().unwrap();
        }
        let store = super::super::overlay::tests::reopen(dir.path());
        check(&store, &model, &probes);
        store.apply().unwrap();
        check(&store, &model, &probes);
    }

    #[test]
    fn a_chunk_of_any_bytes_parses_or_is_refused_without_a_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        if let Ok(chunk) = Chunk::parse(&bytes) {
            let total: usize = chunk.turns().map(|(_, r)| r.len()).sum();
            prop_assert!(total <= bytes.len());
        }
    }
}

#[test]
fn packing_keeps_order_and_size_and_reads_back() {
    let turns: Vec<(u64, sled::IVec)> = (10..60u64)
        .map(|s| {
            (
                s,
                sled::IVec::from(vec![s as u8; (s as usize * 97) % 3_000]),
            )
        })
        .collect();
    let packed = chunks::pack(turns.clone());
    assert!(packed.len() > 1 && packed.len() < turns.len());
    let mut back = Vec::new();
    for (k, v, last) in &packed {
        assert!(chunks::is_chunk(k));
        let chunk = Chunk::parse(v).unwrap();
        let first = chunk.turns().next().unwrap().0;
        assert_eq!(chunk.last(), Some(*last));
        assert_eq!(k.as_ref(), chunks::key(first));
        let bytes: usize = chunk.turns().map(|(_, r)| r.len()).sum();
        assert!(bytes <= chunks::CHUNK_BYTES || chunk.len() == 1);
        back.extend(chunk.turns().map(|(s, r)| (s, sled::IVec::from(r))));
    }
    assert_eq!(back, turns);
}

#[test]
fn a_replay_reads_every_turn_from_its_start_across_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    for seq in 0..1_300u64 {
        let mut set = WriteSet::default();
        set.turn(seq, &turn(seq, (seq as usize * 31) % 900));
        store.write(set).unwrap();
        if seq % 400 == 0 {
            store.apply().unwrap();
        }
    }
    let seqs: Vec<u64> = store.replay(100).map(|t| t.unwrap().0).collect();
    assert_eq!(seqs, (100..1_300).collect::<Vec<_>>());
    assert_eq!(store.replay(1_300).count(), 0);
    assert_eq!(
        store.replay(1_299).next().unwrap().unwrap().1,
        turn(1_299, (1_299 * 31) % 900)
    );
}
