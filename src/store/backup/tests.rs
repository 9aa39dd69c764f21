//! Backups against a real sled in temp dirs: round trip, and every damaged file refused.

use super::*;
use crate::domain::Channel;
use crate::store::tests::conversation;
use crate::store::{ConversationRecord, TurnRecord};

/// A store with `n` conversations checkpointed and a turn marker, and its backup's bytes.
fn backed_up(n: u64) -> (tempfile::TempDir, Store, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    for id in 0..n {
        let mut set = WriteSet::default();
        set.conversation(&ConversationRecord {
            conversation: conversation(id, 1),
            turns: vec![id].into(),
        });
        set.turn(
            id,
            &TurnRecord {
                event: None,
                conversation: conversation(id, 1),
                messages: vec![],
            },
        );
        store.write(set).unwrap();
    }
    let mut set = WriteSet::default();
    // Keys on both sides of the turns, which the snapshot copies apart.
    set.marker(7);
    set.watermark(Channel::Webhook, 3);
    store.write(set).unwrap();
    let mut bytes = Vec::new();
    let snapshot = store.snapshot().unwrap();
    assert_eq!(snapshot.after, n + 1);
    let written = snapshot.write_to(&mut bytes).unwrap();
    assert_eq!(written, bytes.len() as u64);
    (dir, store, bytes)
}

/// sled's pairs, each chunk as its bytes (whether sled holds it or a reference to it).
fn pairs(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    store
        .tree
        .iter()
        .map(|kv| store.whole(kv.unwrap()).unwrap())
        .filter(|(k, _)| super::kept_in_backups(k))
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

#[test]
fn a_restored_store_holds_every_pair_of_the_snapshot() {
    let (_src, store, bytes) = backed_up(50);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("b.baton");
    std::fs::write(&file, &bytes).unwrap();
    let target = tmp.path().join("data");
    let restored = restore(&file, &target, 1 << 20).unwrap();
    assert_eq!(restored.after, 51);
    assert_eq!(restored.counts.conversations, 50);
    assert_eq!(restored.counts.turns, 50);
    // The turns went into sled packed several to a key.
    assert_eq!(restored.counts.keys, pairs(&store).len() as u64);
    assert!(restored.counts.keys < 102);
    let back = Store::open(&target, 1 << 20).unwrap();
    assert_eq!(pairs(&back), pairs(&store));
    assert_eq!(back.read_u64(&keys::marker()).unwrap(), Some(7));
    assert_eq!(back.watermark(Channel::Webhook).unwrap(), 3);
    assert_eq!(back.turn(49).unwrap(), store.turn(49).unwrap());
}

#[test]
fn every_cut_and_every_flipped_byte_is_refused() {
    let (_src, _store, bytes) = backed_up(3);
    let path = Path::new("/x/b.baton");
    for len in 0..bytes.len() {
        let err = Backup::parse(&bytes[..len], path)
            .err()
            .expect("a cut file");
        assert!(err.to_string().starts_with("/x/b.baton: "), "{err}");
    }
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        assert!(Backup::parse(&bad, path).is_err(), "byte {at} flipped");
    }
    assert!(Backup::parse(&bytes, path).is_ok());
}

#[test]
fn a_bad_file_or_a_non_empty_dir_writes_nothing() {
    let (_src, _store, mut bytes) = backed_up(3);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("b.baton");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    let target = tmp.path().join("data");
    let err = restore(&file, &target, 1 << 20).unwrap_err();
    assert!(err.to_string().contains("checksum does not match"), "{err}");
    assert!(!target.exists());

    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("something"), b"x").unwrap();
    let err = restore(&file, &target, 1 << 20).unwrap_err();
    assert!(matches!(err, BackupError::NotEmpty { .. }), "{err}");
    assert!(err.to_string().contains("is not empty"), "{err}");
}
