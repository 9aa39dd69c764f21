//! The store against a real sled in a temp dir.

use super::*;
use crate::domain::{
    AccountId, Author, Conversation, ConversationId, Customer, CustomerId, EventId, MessageId,
    Timestamp,
};

pub fn conversation(id: u64, revision: u64) -> Conversation {
    let mut c = Conversation::new(
        ConversationId(id),
        AccountId::from("acme"),
        Customer {
            channel: Channel::Webhook,
            id: CustomerId(format!("u{id}")),
            name: None,
        },
        Timestamp(1),
    );
    c.revision = revision;
    c
}

pub fn message(conv: u64, seq: u64, from: Author) -> Message {
    Message {
        id: MessageId {
            conversation: ConversationId(conv),
            seq,
        },
        from,
        text: format!("m{seq}"),
        payload: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
        profile: None,
        at: Timestamp(seq),
        epoch: 0,
    }
}

pub fn event(id: &str) -> EventRef {
    EventRef {
        account: AccountId::from("acme"),
        channel: Channel::Webhook,
        id: EventId::from(id),
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    (dir, store)
}

#[test]
fn load_returns_the_checkpoint_and_the_log_from_the_marker() {
    let (_dir, store) = open();
    let mut set = WriteSet::default();
    for seq in 0..4 {
        set.turn(
            seq,
            &TurnRecord {
                event: Some(event(&format!("e{seq}"))),
                conversation: conversation(7, seq + 1),
                messages: vec![message(7, seq, Author::Customer)],
            },
        );
    }
    set.conversation(&ConversationRecord {
        conversation: conversation(7, 2),
        turns: vec![0, 1].into(),
    });
    set.events(
        0,
        &EventBucket {
            written_at: Timestamp(5),
            events: vec![(event("e0"), 0), (event("e1"), 1)],
        },
    );
    set.marker(2);
    set.watermark(Channel::Webhook, 3);
    store.write(set).unwrap();

    let loaded = store.load().unwrap();
    assert_eq!(loaded.conversations.len(), 1);
    assert_eq!(loaded.conversations[0].turns.tail, [0, 1]);
    assert_eq!(loaded.buckets.len(), 1);
    assert_eq!(loaded.buckets[0].1.events.len(), 2);
    assert_eq!(loaded.next_bucket, 1);
    let replayed: Vec<u64> = store.replay(loaded.marker).map(|t| t.unwrap().0).collect();
    assert_eq!(replayed, [2, 3]);
    assert_eq!(loaded.next_turn, 4);
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 3);
    assert_eq!(store.watermark(Channel::Twitter).unwrap(), 0);
    let texts: Vec<String> = store
        .transcript(&[0, 2])
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["m0", "m2"]);
}

#[test]
fn an_empty_store_loads_empty() {
    let (_dir, store) = open();
    let loaded = store.load().unwrap();
    assert!(loaded.conversations.is_empty() && store.replay(loaded.marker).next().is_none());
    assert_eq!((loaded.next_turn, loaded.next_bucket), (0, 0));
}

#[test]
fn a_record_of_an_unknown_version_is_an_error_not_a_panic() {
    let (_dir, store) = open();
    store
        .tree
        .insert(
            keys::conversation(ConversationId(1)),
            &[9u8, b'{', b'}'][..],
        )
        .unwrap();
    let err = store.load().unwrap_err().to_string();
    assert!(err.contains("unknown record version 9"), "{err}");
}

#[test]
fn platform_profiles_are_kept_per_channel_account_and_profile() {
    let (_dir, store) = open();
    let record = |account: &str, local: &str, id: &str| PlatformProfile {
        account: AccountId::from(account),
        local: local.into(),
        name: format!("{local} at {account}"),
        avatar: "https://example.com/a.png".into(),
        platform_id: id.into(),
        retired: Vec::new(),
    };
    let mut set = WriteSet::default();
    for r in [
        record("acme", "acme-bot", "1"),
        record("acme2", "bot", "2"),
        record("acme", "a1", "3"),
    ] {
        set.platform_profile(Channel::Twitter, &r);
    }
    store.write(set).unwrap();
    let ids = |store: &Store| -> Vec<String> {
        let kept = store.platform_profiles(Channel::Twitter).unwrap();
        kept.into_iter().map(|p| p.platform_id).collect()
    };
    assert_eq!(ids(&store), ["3", "1", "2"]);
    assert!(store
        .platform_profiles(Channel::Webhook)
        .unwrap()
        .is_empty());
    let mut set = WriteSet::default();
    set.remove_platform_profile(Channel::Twitter, &AccountId::from("acme"), "a1");
    store.write(set).unwrap();
    assert_eq!(ids(&store), ["1", "2"]);
    assert_eq!(store.next_turn().unwrap(), 0);
}

#[test]
fn a_barrier_says_whether_anything_was_new_to_make_durable() {
    let (_dir, store) = open();
    let mut set = WriteSet::default();
    set.insert(b"zk".to_vec(), b"one".to_vec());
    store.write(set).unwrap();
    assert_eq!(store.barrier().unwrap(), Barrier::Made);
    // An idle daemon's timer: nothing since, so nothing done (and nothing to time).
    assert_eq!(store.barrier().unwrap(), Barrier::Nothing);
    let mut set = WriteSet::default();
    set.insert(b"zk".to_vec(), b"two".to_vec());
    store.write(set).unwrap();
    assert_eq!(store.barrier().unwrap(), Barrier::Made);
}

#[test]
fn a_barrier_syncs_the_blob_files_sled_writes_for_large_nodes_and_they_read_back() {
    let (dir, store) = open();
    // Values this large make sled's nodes pass its inline size, so it writes them to files of
    // their own under `blobs/`, which the barrier must fsync too.
    let mut set = WriteSet::default();
    for i in 0..40u8 {
        set.insert(vec![b'z', i], vec![i; 20_000]);
    }
    store.write(set).unwrap();
    store.barrier().unwrap();
    let blobs = std::fs::read_dir(dir.path().join("blobs")).map_or(0, |d| d.count());
    assert!(
        blobs > 0,
        "no blob files were written: the test does not test them"
    );
    drop(store);
    let store = crate::store::overlay::tests::reopen(dir.path());
    for i in 0..40u8 {
        assert_eq!(
            store.get([b'z', i]).unwrap().unwrap().as_ref(),
            vec![i; 20_000]
        );
    }
}
