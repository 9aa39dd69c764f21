//! A conversation's list of turns, bounded in memory and in its `c` record however long the
//! customer's history grows.
//!
//! The newest turn numbers (the tail) live in the conversation's record and in the engine's
//! memory; once the tail passes [`MAX_TAIL`], its oldest [`PAGE_TURNS`] go into a page of their
//! own (`h` + conversation + page number), written once, in the same batch as the record that
//! no longer holds them, and never changed. A customer who writes for years costs a page read
//! when the whole transcript is asked for, not a record that grows at every checkpoint (past
//! the value size sled keeps in its tree) or memory that grows while the conversation is open.
//!
//! A page's value: a version byte, then the turn numbers as big-endian u64s.

use super::keys;
use super::{Store, StoreError, WriteSet};
use crate::domain::{ConversationId, Message};

/// Turn numbers per page: a page's value (4,097 bytes) stays under `VALUE_BYTES`.
pub const PAGE_TURNS: usize = 512;
/// A tail longer than this pages out its oldest `PAGE_TURNS`, leaving 129 to 640 in the
/// record: packed (5 bytes a turn number below 2^32), with the snapshot, under `VALUE_BYTES`.
pub const MAX_TAIL: usize = 640;
const VERSION: u8 = 1;

/// Every turn of one conversation, in order: the `paged` oldest in pages, the rest here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnList {
    /// How many of the oldest turns are in pages (a multiple of `PAGE_TURNS`).
    pub paged: u64,
    /// The newest turns, in order.
    pub tail: Vec<u64>,
}

impl From<Vec<u64>> for TurnList {
    fn from(tail: Vec<u64>) -> Self {
        TurnList { paged: 0, tail }
    }
}

impl TurnList {
    /// How many turns the conversation has, paged or not.
    pub fn len(&self) -> u64 {
        self.paged + self.tail.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest turn (`page_out` always leaves some in the tail).
    pub fn last(&self) -> Option<u64> {
        self.tail.last().copied()
    }

    pub fn push(&mut self, turn: u64) {
        self.tail.push(turn);
    }

    /// Moves the oldest turns of a tail past `MAX_TAIL` into pages written to `set`: call it
    /// where the record written with `set` is built from this list.
    pub fn page_out(&mut self, id: ConversationId, set: &mut WriteSet) {
        while self.tail.len() > MAX_TAIL {
            set.turn_page(id, self.paged / PAGE_TURNS as u64, &self.tail[..PAGE_TURNS]);
            self.tail.drain(..PAGE_TURNS);
            self.paged += PAGE_TURNS as u64;
        }
    }
}

impl WriteSet {
    fn turn_page(&mut self, id: ConversationId, number: u64, turns: &[u64]) {
        let mut value = Vec::with_capacity(1 + 8 * turns.len());
        value.push(VERSION);
        for t in turns {
            value.extend_from_slice(&t.to_be_bytes());
        }
        self.insert(keys::turn_page(id, number).to_vec(), value);
    }
}

impl Store {
    /// Every turn number of the conversation, pages first: what a whole transcript reads.
    pub fn turn_numbers(
        &self,
        id: ConversationId,
        list: &TurnList,
    ) -> Result<Vec<u64>, StoreError> {
        let mut all = Vec::with_capacity(list.len().min(1 << 20) as usize);
        for number in 0..pages(id, list)? {
            all.extend(self.page(id, number)?);
        }
        all.extend_from_slice(&list.tail);
        Ok(all)
    }

    /// The newest `max` messages of the conversation, oldest first, and whether it has older
    /// ones: read from its newest turn back, so the cost follows `max`, not the history.
    pub fn recent_messages(
        &self,
        id: ConversationId,
        list: &TurnList,
        max: usize,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        self.messages_before(id, list, u64::MAX, max)
    }

    /// As `recent_messages`, of the messages before the one numbered `before` (its `seq`): a
    /// page further back.
    pub fn messages_before(
        &self,
        id: ConversationId,
        list: &TurnList,
        before: u64,
        max: usize,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        let mut newest_first: Vec<Message> = Vec::new();
        // One message past `max` is read to know whether there are older ones.
        let mut enough = |turn: u64| -> Result<bool, StoreError> {
            if let Some(t) = self.turn(turn)? {
                let older = t.messages.into_iter().rev().filter(|m| m.id.seq < before);
                newest_first.extend(older);
            }
            Ok(newest_first.len() > max)
        };
        'read: {
            for &turn in list.tail.iter().rev() {
                if enough(turn)? {
                    break 'read;
                }
            }
            for number in (0..pages(id, list)?).rev() {
                for turn in self.page(id, number)?.into_iter().rev() {
                    if enough(turn)? {
                        break 'read;
                    }
                }
            }
        }
        let earlier = newest_first.len() > max;
        newest_first.truncate(max);
        newest_first.reverse();
        Ok((newest_first, earlier))
    }

    /// One page of the conversation's turn numbers, in order.
    fn page(&self, id: ConversationId, number: u64) -> Result<Vec<u64>, StoreError> {
        let key = keys::turn_page(id, number);
        let corrupt = |message: &str| StoreError::Corrupt {
            key: format!("{key:?}"),
            message: message.to_owned(),
        };
        let value = self
            .get(key)?
            .ok_or_else(|| corrupt("a page of the conversation's turns is missing"))?;
        let turns = decode(&value).map_err(corrupt)?.collect();
        Ok(turns)
    }
}

/// Why the pages `list` names are not all in `tree` and readable, if they are not (for
/// `baton recover`, which reads sled alone).
pub(super) fn damaged_page(
    tree: &sled::Tree,
    id: ConversationId,
    list: &TurnList,
) -> Option<String> {
    let pages = match pages(id, list) {
        Ok(n) => n,
        Err(e) => return Some(e.to_string()),
    };
    (0..pages).find_map(|number| match tree.get(keys::turn_page(id, number)) {
        Ok(Some(v)) => decode(&v).err().map(|e| format!("page {number}: {e}")),
        Ok(None) => Some(format!("page {number} of its older turns is missing")),
        Err(e) => Some(format!("page {number}: {e}")),
    })
}

/// How many pages the list's paged turns fill.
fn pages(id: ConversationId, list: &TurnList) -> Result<u64, StoreError> {
    if !list.paged.is_multiple_of(PAGE_TURNS as u64) {
        return Err(StoreError::Corrupt {
            key: format!("{:?}", keys::conversation(id)),
            message: format!("{} paged turns is not a number of whole pages", list.paged),
        });
    }
    Ok(list.paged / PAGE_TURNS as u64)
}

fn decode(value: &[u8]) -> Result<impl Iterator<Item = u64> + '_, &'static str> {
    match value.split_first() {
        Some((&VERSION, body)) if body.len() == 8 * PAGE_TURNS => Ok(body
            .chunks_exact(8)
            .map(|b| u64::from_be_bytes(b.try_into().unwrap_or_default()))),
        Some((&VERSION, _)) => Err("a page of turns is not 512 numbers long"),
        Some(_) => Err("a page of turns of an unknown version"),
        None => Err("an empty page of turns"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_pages_out_its_oldest_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let id = ConversationId(7);
        let mut list = TurnList::default();
        for turn in 0..3_000u64 {
            list.push(turn * 3);
            let mut set = WriteSet::default();
            list.page_out(id, &mut set);
            store.write(set).unwrap();
            assert!(list.tail.len() <= MAX_TAIL);
        }
        assert_eq!(list.len(), 3_000);
        assert_eq!(list.paged, 5 * PAGE_TURNS as u64);
        let all = store.turn_numbers(id, &list).unwrap();
        assert_eq!(all, (0..3_000u64).map(|t| t * 3).collect::<Vec<_>>());
        // Another conversation's pages are its own.
        assert!(store
            .turn_numbers(ConversationId(8), &list)
            .is_err_and(|e| e.to_string().contains("missing")));
    }

    #[test]
    fn a_short_list_writes_no_page() {
        let mut list = TurnList::from((0..MAX_TAIL as u64).collect::<Vec<_>>());
        let mut set = WriteSet::default();
        list.page_out(ConversationId(1), &mut set);
        assert!(set.is_empty());
        assert_eq!(list.paged, 0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Turns come in runs; after some runs the conversation is checkpointed (pages out, its
        /// record written) and read back as a start-up would: the list read whole is always
        /// every turn so far, in order, and a written record's tail is bounded.
        #[test]
        fn checkpoints_and_reloads_keep_every_turn_in_order(
            runs in proptest::collection::vec((1usize..400, proptest::bool::ANY), 1..12)
        ) {
            use crate::store::ConversationRecord;
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            let id = ConversationId(3);
            let (mut list, mut model, mut next) = (TurnList::default(), Vec::new(), 0u64);
            for (turns, checkpoint) in runs {
                for _ in 0..turns {
                    next += 1 + next % 3;
                    list.push(next);
                    model.push(next);
                }
                if checkpoint {
                    let mut set = WriteSet::default();
                    list.page_out(id, &mut set);
                    set.conversation(&ConversationRecord {
                        conversation: crate::store::tests::conversation(3, 1),
                        turns: list.clone(),
                    });
                    store.write(set).unwrap();
                    list = store.conversation(id).unwrap().unwrap().turns;
                    proptest::prop_assert!(list.tail.len() <= MAX_TAIL);
                }
                proptest::prop_assert_eq!(&store.turn_numbers(id, &list).unwrap(), &model);
            }
        }
    }

    /// A conversation whose turn `n` holds `n % 3` messages (some none), numbered in order.
    fn written(store: &Store, id: ConversationId, turns: u64) -> (TurnList, Vec<u64>) {
        use crate::domain::Author;
        use crate::store::{tests, TurnRecord};
        let (mut list, mut seqs, mut seq) = (TurnList::default(), Vec::new(), 0);
        for n in 0..turns {
            let mut set = WriteSet::default();
            let messages = (0..n % 3)
                .map(|_| {
                    seq += 1;
                    seqs.push(seq);
                    tests::message(id.0, seq, Author::Customer)
                })
                .collect();
            set.turn(
                n,
                &TurnRecord {
                    event: None,
                    conversation: tests::conversation(id.0, n),
                    messages,
                },
            );
            list.push(n);
            list.page_out(id, &mut set);
            store.write(set).unwrap();
        }
        (list, seqs)
    }

    #[test]
    fn the_newest_messages_are_read_from_the_end_and_say_if_there_are_older_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let id = ConversationId(5);
        let (list, seqs) = written(&store, id, 2_000);
        assert_eq!(list.paged, 3 * PAGE_TURNS as u64, "pages are read too");
        let seqs_of = |m: Vec<Message>| m.into_iter().map(|m| m.id.seq).collect::<Vec<_>>();
        for max in [0, 1, 2, 199, 200, 1_500, seqs.len() - 1, seqs.len(), 5_000] {
            let (messages, earlier) = store.recent_messages(id, &list, max).unwrap();
            let from = seqs.len().saturating_sub(max);
            assert_eq!(
                seqs_of(messages),
                seqs[from..],
                "the newest {max}, in order"
            );
            assert_eq!(earlier, from > 0, "older ones left out, with max {max}");
        }
        // A page further back: the `max` before message `before`, whatever pages they are in.
        for (at, max) in [(1_000, 200), (150, 200), (1, 5), (0, 5)] {
            let before = seqs[at];
            let (messages, earlier) = store.messages_before(id, &list, before, max).unwrap();
            let from = at.saturating_sub(max);
            assert_eq!(seqs_of(messages), seqs[from..at], "{max} before #{at}");
            assert_eq!(earlier, from > 0, "older ones before #{at}");
        }
        let (none, earlier) = store.recent_messages(id, &TurnList::default(), 10).unwrap();
        assert!(none.is_empty() && !earlier);
    }

    /// `baton recover` names a conversation whose older turns' list lost a page.
    #[test]
    fn recover_names_a_conversation_whose_page_is_gone() {
        use crate::store::ConversationRecord;
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            for id in [3, 4] {
                let id = ConversationId(id);
                let mut list = TurnList::from((0..1_500u64).collect::<Vec<_>>());
                let mut set = WriteSet::default();
                list.page_out(id, &mut set);
                set.conversation(&ConversationRecord {
                    conversation: crate::store::tests::conversation(id.0, 1),
                    turns: list,
                });
                store.write(set).unwrap();
            }
            store.barrier().unwrap();
        }
        let clean = crate::store::recover(dir.path(), 1 << 20).unwrap();
        assert!(clean.unlisted.is_empty(), "{clean}");
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store
                .tree
                .remove(keys::turn_page(ConversationId(4), 1))
                .unwrap();
            store.barrier().unwrap();
        }
        let report = crate::store::recover(dir.path(), 1 << 20).unwrap();
        let text = report.to_string();
        assert_eq!(report.unlisted.len(), 1, "{text}");
        assert!(
            text.contains("LOST: conversation c4: page 1 of its older turns is missing"),
            "{text}"
        );
    }

    #[test]
    fn a_damaged_page_is_corrupt_not_a_panic() {
        for bad in [&[][..], &[VERSION, 1, 2, 3][..], &[9; 4097][..]] {
            assert!(decode(bad).is_err());
        }
    }
}
