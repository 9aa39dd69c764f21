//! Start-up: the checkpoint, then the turn log after its marker, into live state.
//!
//! Only open conversations are loaded (the store's `o` index); one at rest stays on disk unless
//! the log replays a turn of it, and then it is read first, so its transcript stays whole.

use super::checkpoint::Checkpoint;
use super::seen::SeenIndex;
use crate::domain::{Account, Conversation, ConversationId, Desk, Timer, Timestamp};
use crate::store::{Store, StoreError, TurnList};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::time::Duration;

pub struct Restored {
    pub agents: Vec<crate::store::AgentRecord>,
    pub desk: Desk,
    pub seen: SeenIndex,
    pub transcripts: HashMap<ConversationId, TurnList>,
    pub checkpoint: Checkpoint,
    pub next_turn: u64,
    pub replayed: usize,
    pub deadlines: Vec<(Timestamp, Timer)>,
}

pub fn restore(
    store: &Store,
    accounts: &[Account],
    now: Timestamp,
    retention: Duration,
) -> Result<Restored, StoreError> {
    let loaded = store.load()?;
    let mut conversations: HashMap<ConversationId, Conversation> = HashMap::new();
    let mut transcripts = HashMap::new();
    for record in loaded.conversations {
        let id = record.conversation.id;
        transcripts.insert(id, record.turns);
        conversations.insert(id, record.conversation);
    }
    let mut seen = SeenIndex::default();
    let mut checkpoint = Checkpoint::new(loaded.next_bucket, retention);
    let mut bucketed: HashSet<u64> = HashSet::new();
    for (number, bucket) in &loaded.buckets {
        // Expired buckets are not remembered; the first checkpoint removes them.
        if checkpoint.keep_bucket(*number, bucket.written_at, now) {
            for (event, turn) in &bucket.events {
                seen.insert(event, *turn);
                bucketed.insert(*turn);
            }
        }
    }
    // What is replayed is not in the checkpoint (or not all of it): queue it again, so the
    // marker cannot move past it before it is.
    let mut replayed = 0;
    for turn in store.replay(loaded.marker) {
        let (seq, turn) = turn?;
        replayed += 1;
        let c = turn.conversation;
        let id = c.id;
        checkpoint.touch(id, seq, now);
        if let std::collections::hash_map::Entry::Vacant(slot) = conversations.entry(id) {
            // At rest in the store (or new): its stored turns come before the replayed ones.
            if let Some(stored) = store.conversation(id)? {
                transcripts.insert(id, stored.turns);
                slot.insert(stored.conversation);
            }
        }
        let list: &mut TurnList = transcripts.entry(id).or_default();
        if list.last().is_none_or(|last| last < seq) {
            list.push(seq);
        }
        match conversations.get(&id) {
            Some(old) if old.revision >= c.revision => {}
            _ => {
                conversations.insert(id, c);
            }
        }
        if let Some(event) = turn.event.filter(|_| !bucketed.contains(&seq)) {
            seen.insert(&event, seq);
            checkpoint.event(event, seq, now);
        }
    }
    // The scheduler's index: every conversation's deadline, and the agents' grace deadlines.
    let mut deadlines = loaded.deadlines;
    deadlines.extend(
        conversations
            .values()
            .filter_map(|c| Some((c.deadline?, Timer::Conversation(c.id)))),
    );
    let mut desk = Desk::restore(conversations.into_values(), accounts);
    desk.ids_from(store.next_conversation_id()?);
    Ok(Restored {
        agents: loaded.agents,
        desk,
        seen,
        transcripts,
        checkpoint,
        next_turn: loaded.next_turn,
        replayed,
        deadlines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Author;
    use crate::store::tests::{conversation, event, message};

    const DAY: Duration = Duration::from_secs(86_400);
    use crate::store::{ConversationRecord, TurnRecord, WriteSet};

    #[test]
    fn the_schedulers_index_comes_from_the_final_conversations_and_the_agents_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut set = WriteSet::default();
        let at = |deadline: u64, rev: u64| {
            let mut c = conversation(1, rev);
            c.deadline = Some(Timestamp(deadline));
            c
        };
        // Checkpointed with one deadline; a later turn (replayed) moved it.
        set.conversation(&ConversationRecord {
            conversation: at(500, 1),
            turns: vec![].into(),
        });
        set.turn(
            0,
            &TurnRecord {
                event: None,
                conversation: at(900, 2),
                messages: vec![],
            },
        );
        set.conversation(&ConversationRecord {
            conversation: conversation(2, 1),
            turns: vec![].into(),
        });
        let agent = Timer::Agent(crate::domain::AgentId(3));
        set.deadline(Timestamp(700), agent);
        store.write(set).unwrap();
        let mut d = restore(&store, &[], Timestamp(0), DAY).unwrap().deadlines;
        d.sort();
        let c1 = Timer::Conversation(ConversationId(1));
        assert_eq!(d, [(Timestamp(700), agent), (Timestamp(900), c1)]);
    }

    #[test]
    fn the_newest_snapshot_wins_and_replayed_turns_extend_transcripts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut set = WriteSet::default();
        let turn = |seq: u64, rev: u64, ev: &str| TurnRecord {
            event: Some(event(ev)),
            conversation: conversation(1, rev),
            messages: vec![message(1, seq, Author::Customer)],
        };
        set.turn(0, &turn(0, 1, "a"));
        set.turn(1, &turn(1, 2, "b"));
        set.turn(2, &turn(2, 3, "c"));
        // Checkpointed after turn 1; event "a" bucketed; replay from turn 1.
        set.conversation(&ConversationRecord {
            conversation: conversation(1, 2),
            turns: vec![0, 1].into(),
        });
        set.events(
            0,
            &crate::store::EventBucket {
                written_at: Timestamp(0),
                events: vec![(event("a"), 0)],
            },
        );
        set.marker(1);
        store.write(set).unwrap();

        let r = restore(&store, &[], Timestamp(0), DAY).unwrap();
        assert_eq!(r.desk.conversation(ConversationId(1)).unwrap().revision, 3);
        assert_eq!(r.transcripts[&ConversationId(1)].tail, [0, 1, 2]);
        assert_eq!(r.next_turn, 3);
        assert_eq!(r.replayed, 2);
        for e in ["a", "b", "c"] {
            assert!(r.seen.contains(&store, &event(e)).unwrap(), "{e}");
        }
        assert!(!r.seen.contains(&store, &event("d")).unwrap());

        // What was replayed is checkpointed again before the marker passes it.
        let mut r = r;
        let mut set = WriteSet::default();
        r.checkpoint.write_due(
            Timestamp(0),
            true,
            &r.desk,
            &mut r.transcripts,
            r.next_turn,
            &mut set,
        );
        store.write(set).unwrap();
        let again = restore(&store, &[], Timestamp(0), DAY).unwrap();
        assert_eq!(again.replayed, 0);
        assert_eq!(again.transcripts[&ConversationId(1)].tail, [0, 1, 2]);
        assert_eq!(
            again.desk.conversation(ConversationId(1)).unwrap().revision,
            3
        );
        assert!(again.seen.contains(&store, &event("c")).unwrap());
    }

    #[test]
    fn event_ids_past_their_retention_are_forgotten_and_their_buckets_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut set = WriteSet::default();
        set.turn(
            0,
            &TurnRecord {
                event: Some(event("old")),
                conversation: conversation(1, 1),
                messages: vec![message(1, 0, Author::Customer)],
            },
        );
        set.events(
            0,
            &crate::store::EventBucket {
                written_at: Timestamp(0),
                events: vec![(event("old"), 0)],
            },
        );
        set.marker(1);
        store.write(set).unwrap();

        let week = Duration::from_secs(7 * 86_400);
        let day_6 = Timestamp(6 * 86_400_000);
        let r = restore(&store, &[], day_6, week).unwrap();
        assert!(
            r.seen.contains(&store, &event("old")).unwrap(),
            "within retention"
        );

        let day_8 = Timestamp(8 * 86_400_000);
        let mut r = restore(&store, &[], day_8, week).unwrap();
        assert!(
            !r.seen.contains(&store, &event("old")).unwrap(),
            "past retention"
        );
        let mut set = WriteSet::default();
        assert_eq!(r.checkpoint.expire(day_8, &mut set), [0]);
        store.write(set).unwrap();
        assert!(store.load().unwrap().buckets.is_empty());
    }

    #[test]
    fn a_replayed_turn_of_a_conversation_at_rest_keeps_its_stored_transcript_and_ids_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut closed = conversation(4, 2);
        closed.state = crate::domain::State::Closed;
        let mut set = WriteSet::default();
        set.checkpointed(
            &ConversationRecord {
                conversation: closed,
                turns: vec![0, 1].into(),
            },
            true,
        );
        set.checkpointed(
            &ConversationRecord {
                conversation: conversation(9, 1),
                turns: vec![].into(),
            },
            false,
        );
        set.history_indexed();
        // The customer came back; the crash came before the checkpoint.
        set.turn(
            2,
            &TurnRecord {
                event: None,
                conversation: conversation(4, 3),
                messages: vec![message(4, 5, Author::Customer)],
            },
        );
        set.marker(2);
        store.write(set).unwrap();
        let r = restore(&store, &[], Timestamp(0), DAY).unwrap();
        assert_eq!(r.transcripts[&ConversationId(4)].tail, [0, 1, 2]);
        assert_eq!(r.desk.conversation(ConversationId(4)).unwrap().revision, 3);
        assert_eq!((r.desk.total(), r.desk.resident()), (10, 2));

        // Only open ones load: one at rest is not in memory.
        let mut set = WriteSet::default();
        let mut closed = conversation(4, 4);
        closed.state = crate::domain::State::Closed;
        set.checkpointed(
            &ConversationRecord {
                conversation: closed,
                turns: vec![0, 1, 2].into(),
            },
            true,
        );
        set.marker(3);
        store.write(set).unwrap();
        let r = restore(&store, &[], Timestamp(0), DAY).unwrap();
        assert!(r.desk.conversation(ConversationId(4)).is_none());
        assert_eq!((r.desk.total(), r.desk.resident()), (10, 1));
    }
}
