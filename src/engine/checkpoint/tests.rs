//! The checkpoint's rounds against a real store: what is due, how events group, and which
//! index keys an open conversation writes.

use super::*;
use crate::domain::{Conversation, Desk};
use crate::store::tests::{conversation, event};
use crate::store::Store;
use foldhash::HashMapExt;

#[test]
fn changes_wait_their_age_are_coalesced_and_move_the_marker() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let desk = Desk::restore([conversation(1, 3)], []);
    let mut transcripts = HashMap::from_iter([(ConversationId(1), vec![0, 1, 2].into())]);
    let mut cp = Checkpoint::new(0, std::time::Duration::from_secs(3600));
    for turn in 0..3 {
        cp.touch(ConversationId(1), turn, Timestamp(1_000 + turn));
        cp.event(event(&format!("e{turn}")), turn, Timestamp(1_000 + turn));
    }
    let mut due = |now: u64, all: bool| {
        let mut set = WriteSet::default();
        cp.write_due(Timestamp(now), all, &desk, &mut transcripts, 3, &mut set);
        store.write(set).unwrap();
        store.load().unwrap()
    };
    // Too young: nothing checkpointed, everything replays from turn 0.
    let loaded = due(5_000, false);
    assert!(loaded.conversations.is_empty() && loaded.buckets.is_empty());
    assert_eq!(
        store.replay(loaded.marker).count(),
        0,
        "no turns were written to this store"
    );
    // Old enough: one conversation record for three changes, one bucket of three events.
    let loaded = due(12_000, false);
    assert_eq!(loaded.conversations.len(), 1);
    assert_eq!(loaded.conversations[0].turns.tail, [0, 1, 2]);
    assert_eq!(loaded.buckets[0].1.events.len(), 3, "{:?}", loaded.buckets);
    assert_eq!(loaded.next_bucket, 1);
    // Nothing left: the next checkpoint writes nothing new.
    let loaded = due(20_000, false);
    assert_eq!((loaded.conversations.len(), loaded.next_bucket), (1, 1));
}

#[test]
fn a_change_too_many_turns_behind_is_due_whatever_its_age() {
    let desk = Desk::restore([conversation(1, 3), conversation(2, 1)], []);
    let mut transcripts = HashMap::new();
    let mut cp = Checkpoint::new(0, std::time::Duration::from_secs(3600));
    cp.touch(ConversationId(1), 5, Timestamp(1_000));
    cp.touch(ConversationId(2), 6, Timestamp(1_000));
    let young = Timestamp(1_001);
    let mut set = WriteSet::default();
    cp.write_due(
        young,
        false,
        &desk,
        &mut transcripts,
        6 + MAX_REPLAY_TURNS,
        &mut set,
    );
    // Conversation 1's turn is past the bound and written; 2's is just inside and waits,
    // holding the marker at its turn.
    let written = set.clone();
    let mut only_first = WriteSet::default();
    only_first.checkpointed(
        &ConversationRecord {
            conversation: conversation(1, 3),
            turns: Vec::new().into(),
        },
        false,
    );
    only_first.marker(6);
    assert_eq!(written, only_first);
}

/// Feeds one event per turn, `step_ms` apart, with ids of about `id_len` characters,
/// checkpointing after each as the engine does after each batch; returns the buckets
/// stored and how many events wait.
fn buckets_for(events: u64, step_ms: u64, id_len: usize) -> (Vec<EventBucket>, usize) {
    buckets_with(events, step_ms, |turn| format!("{turn:0id_len$}"))
}

fn buckets_with(
    events: u64,
    step_ms: u64,
    id: impl Fn(u64) -> String,
) -> (Vec<EventBucket>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let desk = Desk::restore([], []);
    let mut transcripts = HashMap::new();
    let mut cp = Checkpoint::new(0, std::time::Duration::from_secs(3600));
    for turn in 0..events {
        let now = Timestamp(turn * step_ms);
        cp.event(event(&id(turn)), turn, now);
        let mut set = WriteSet::default();
        cp.write_due(now, false, &desk, &mut transcripts, turn + 1, &mut set);
        store.write(set).unwrap();
    }
    let buckets = store.load().unwrap().buckets;
    (
        buckets.into_iter().map(|(_, b)| b).collect(),
        cp.events.len(),
    )
}

fn assert_small(buckets: &[EventBucket]) {
    for b in buckets {
        let bytes = crate::store::records::encode(b).len();
        assert!(bytes <= VALUE_BYTES, "a bucket of {bytes} bytes");
    }
}

#[test]
fn events_are_bucketed_in_groups_not_one_at_a_time_and_buckets_stay_small() {
    // Light traffic: one event every 100 ms for 100 s. Due by age, in groups of about
    // half the age (50 events), not one bucket per event.
    let (buckets, left) = buckets_for(1_000, 100, 8);
    assert!(
        (15..=25).contains(&buckets.len()),
        "{} buckets",
        buckets.len()
    );
    assert!(left <= 100, "{left} left: at most the age's worth waits");
    assert_small(&buckets);
    // Heavy traffic, long ids: 60,000 events in one second, due by the turn bound. The
    // buckets are as full as their size allows (about 50 of these a bucket), not one or
    // two events each.
    let (buckets, left) = buckets_for(60_000, 0, 60);
    let stored: usize = buckets.iter().map(|b| b.events.len()).sum();
    assert!(stored as u64 + left as u64 == 60_000 && left as u64 <= MAX_REPLAY_TURNS);
    let mean = stored / buckets.len();
    assert!(
        mean >= 40,
        "{mean} events a bucket, {} buckets",
        buckets.len()
    );
    assert_small(&buckets);
}

#[test]
fn ids_json_escapes_count_at_their_escaped_size() {
    // The longest id the webhook takes (256 bytes), all control characters: written as
    // `\u0001` each, six times the bytes the id holds.
    let (buckets, left) = buckets_with(24_000, 0, |turn| {
        let mut id = "\u{1}".repeat(250);
        id.push_str(&format!("{turn:06}"));
        id
    });
    let stored: usize = buckets.iter().map(|b| b.events.len()).sum();
    assert!(
        stored >= 4_000 && left as u64 <= MAX_REPLAY_TURNS,
        "{stored} stored"
    );
    assert_small(&buckets);
}

proptest::proptest! {
    #[test]
    fn json_len_is_what_serde_json_writes(s in "\\PC*|[\\x00-\\x7f]{0,40}") {
        let written = serde_json::to_string(&s).unwrap().len();
        proptest::prop_assert_eq!(json_len(&s) + 2, written);
    }
}

#[test]
fn an_open_conversations_index_key_is_written_once_until_it_rests() {
    let mut desk = Desk::restore([conversation(1, 3)], []);
    let mut transcripts = HashMap::new();
    let mut cp = Checkpoint::new(0, std::time::Duration::from_secs(3600));
    let mut round = |cp: &mut Checkpoint, desk: &Desk, turn: u64| {
        cp.touch(ConversationId(1), turn, Timestamp(0));
        let mut set = WriteSet::default();
        cp.write_due(
            Timestamp(20_000),
            false,
            desk,
            &mut transcripts,
            turn + 1,
            &mut set,
        );
        set
    };
    let record = |c: Conversation| ConversationRecord {
        conversation: c,
        turns: Vec::new().into(),
    };
    let with_marker = |mut set: WriteSet, marker: u64| {
        set.marker(marker);
        set
    };
    let mut first = WriteSet::default();
    first.checkpointed(&record(conversation(1, 3)), false);
    assert_eq!(round(&mut cp, &desk, 0), with_marker(first, 1));
    let mut again = WriteSet::default();
    again.checkpointed_still_open(&record(conversation(1, 3)));
    assert_eq!(round(&mut cp, &desk, 1), with_marker(again, 2));
    // At rest: its `o` key goes. Open again: it comes back.
    let mut closed = conversation(1, 4);
    closed.state = crate::domain::State::Closed;
    desk = Desk::restore([closed.clone()], []);
    let mut rest = WriteSet::default();
    rest.checkpointed(&record(closed), true);
    assert_eq!(round(&mut cp, &desk, 2), with_marker(rest, 3));
    desk = Desk::restore([conversation(1, 5)], []);
    let mut reopened = WriteSet::default();
    reopened.checkpointed(&record(conversation(1, 5)), false);
    assert_eq!(round(&mut cp, &desk, 3), with_marker(reopened, 4));
}

#[test]
fn a_conversation_written_at_rest_is_settled_unless_changed_since() {
    let mut closed = conversation(1, 3);
    closed.state = crate::domain::State::Closed;
    let desk = Desk::restore([closed, conversation(2, 1)], []);
    let mut transcripts = HashMap::new();
    let mut cp = Checkpoint::new(0, std::time::Duration::from_secs(3600));
    cp.touch(ConversationId(1), 0, Timestamp(0));
    cp.touch(ConversationId(2), 1, Timestamp(0));
    let mut set = WriteSet::default();
    cp.write_due(
        Timestamp(20_000),
        false,
        &desk,
        &mut transcripts,
        2,
        &mut set,
    );
    assert_eq!(cp.settled(), [ConversationId(1)], "the open one stays");
    assert!(cp.settled().is_empty(), "handed out once");
    // Written at rest, then changed again before the next round: it stays.
    cp.touch(ConversationId(1), 2, Timestamp(20_000));
    cp.write_due(
        Timestamp(40_000),
        false,
        &desk,
        &mut transcripts,
        3,
        &mut set,
    );
    cp.touch(ConversationId(1), 3, Timestamp(40_000));
    assert!(cp.settled().is_empty());
}
