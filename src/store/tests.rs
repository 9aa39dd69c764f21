//! The store against a real sled in a temp dir.

use super::*;
use crate::domain::{AccountId, Author, Customer, CustomerId, MessageId, Timestamp};

fn conversation(revision: u64, greeted: bool) -> Conversation {
    let mut c = Conversation::new(
        ConversationId(7),
        AccountId::from("acme"),
        Customer {
            channel: Channel::Webhook,
            id: CustomerId::from("u1"),
            name: None,
        },
        Timestamp(1),
    );
    c.revision = revision;
    c.greeted = greeted;
    c
}

fn message(seq: u64) -> Message {
    Message {
        id: MessageId {
            conversation: ConversationId(7),
            seq,
        },
        from: Author::Customer,
        text: format!("m{seq}"),
        payload: None,
        quick_replies: Vec::new(),
        profile: None,
        at: Timestamp(seq),
        epoch: 0,
    }
}

fn turn(seq: u64, snapshot: Option<Conversation>) -> TurnRecord {
    TurnRecord {
        conversation: snapshot,
        messages: vec![message(seq)],
    }
}

#[test]
fn restore_takes_the_newest_snapshot_and_transcripts_concatenate_turns() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let mut set = WriteSet::default();
    set.save_conversation(&conversation(1, false));
    set.append_turn(&turn(0, Some(conversation(1, false))));
    set.append_turn(&turn(1, Some(conversation(3, true))));
    store.write(set).unwrap();
    let got = store.conversations().unwrap();
    assert_eq!((got.len(), got[0].revision, got[0].greeted), (1, 3, true));

    // A change without messages is saved on its own and is newer than the last turn.
    let mut set = WriteSet::default();
    set.save_conversation(&conversation(4, false));
    store.write(set).unwrap();
    assert_eq!(store.conversations().unwrap()[0].revision, 4);

    let texts: Vec<String> = store
        .transcript(ConversationId(7))
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["m0", "m1"]);
}

#[test]
fn a_record_of_an_unknown_version_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    store
        .tree
        .insert(
            keys::conversation(ConversationId(1)),
            &[9u8, b'{', b'}'][..],
        )
        .unwrap();
    let err = store.conversations().unwrap_err().to_string();
    assert!(err.contains("unknown record version 9"), "{err}");
}
