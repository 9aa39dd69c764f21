//! Conversations at rest stay on disk: the indexes that let start-up load only the open ones
//! and let intake find a customer who comes back, without reading all of history.
//!
//! The checkpoint writes, in the batch of each `c` record, either an `o` key (the conversation
//! is open: start-up loads it) or a `u` key (it is at rest: its customer's index entry, so the
//! next message finds it) and removes the `o` key. The next conversation id is one past the
//! last `c` key: every conversation is checkpointed, or replayed from the log at start-up. A
//! data directory written before these keys existed has its indexes built once, at its first
//! start-up, in one batch with the `i` key that says they are complete.

use super::keys;
use super::records::{self, ConversationRecord, FailedRecord};
use super::{Store, StoreError, WriteSet};
use crate::domain::{AccountId, Channel, ConversationId, CustomerId};

impl Store {
    /// A stored conversation, with its turns.
    pub fn conversation(
        &self,
        id: ConversationId,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let key = keys::conversation(id);
        self.get(key)?
            .map(|v| records::decode(&key, &v))
            .transpose()
    }

    /// The conversation's outgoing messages refused for good (the `x` records), in order.
    pub fn failed_messages(&self, id: ConversationId) -> Result<Vec<FailedRecord>, StoreError> {
        let mut failed = Vec::new();
        for kv in self.prefix(keys::failed_of(id)) {
            let (k, v) = kv?;
            failed.push(records::decode(&k, &v)?);
        }
        Ok(failed)
    }

    /// The id of the customer's conversation at rest with the account, if it has one.
    pub fn customer_conversation(
        &self,
        account: &AccountId,
        channel: Channel,
        customer: &CustomerId,
    ) -> Result<Option<ConversationId>, StoreError> {
        let key = keys::customer(account, channel, customer);
        match self.get(&key)? {
            None => Ok(None),
            Some(v) => match <[u8; 8]>::try_from(v.as_ref()) {
                Ok(id) => Ok(Some(ConversationId(u64::from_be_bytes(id)))),
                Err(_) => Err(StoreError::Corrupt {
                    key: format!("{key:?}"),
                    message: "a customer's conversation id is not 8 bytes".into(),
                }),
            },
        }
    }

    /// One past the highest conversation id checkpointed (0 for none).
    pub fn next_conversation_id(&self) -> Result<u64, StoreError> {
        Ok(match self.last_key([keys::CONVERSATION])? {
            Some(k) => keys::conversation_id(&k).map_or(0, |id| id.0 + 1),
            None => 0,
        })
    }

    /// The checkpointed conversations that are open (not at rest); builds the indexes first
    /// if this data directory has none yet.
    pub fn open_conversations(&self) -> Result<Vec<ConversationRecord>, StoreError> {
        if self.get(keys::history_indexed())?.is_none() {
            return self.index_history();
        }
        let mut open = Vec::new();
        for k in self.prefix([keys::OPEN]).keys() {
            let k = k?;
            let id = keys::conversation_id(&k).ok_or_else(|| StoreError::Corrupt {
                key: format!("{k:?}"),
                message: "not an open conversation key".into(),
            })?;
            // An `o` key is written and removed in the batch of its `c` record.
            open.extend(self.conversation(id)?);
        }
        Ok(open)
    }

    /// Reads every `c` record once and writes the `o` and `u` keys they call for; returns the
    /// open ones. Run where no index exists yet (an earlier release's data, or a new store).
    fn index_history(&self) -> Result<Vec<ConversationRecord>, StoreError> {
        let mut set = WriteSet::default();
        let mut open = Vec::new();
        let mut rested = 0usize;
        for kv in self.prefix([keys::CONVERSATION]) {
            let (k, v) = kv?;
            let record: ConversationRecord = records::decode(&k, &v)?;
            let at_rest = crate::domain::Desk::at_rest(&record.conversation);
            set.history_keys(&record, at_rest);
            if at_rest {
                rested += 1;
            } else {
                open.push(record);
            }
        }
        set.history_indexed();
        self.write(set)?;
        tracing::info!(
            open = open.len(),
            at_rest = rested,
            "indexed the stored conversations"
        );
        Ok(open)
    }
}

impl WriteSet {
    /// A checkpointed conversation: its record and the index key its state calls for (`o` if
    /// open; the customer's `u` if at rest, its `o` removed).
    pub fn checkpointed(&mut self, record: &ConversationRecord, at_rest: bool) {
        self.conversation(record);
        self.history_keys(record, at_rest);
    }

    /// A conversation checkpointed again while still open, whose `o` key an earlier batch
    /// wrote: its record alone (the key is already there).
    pub fn checkpointed_still_open(&mut self, record: &ConversationRecord) {
        self.conversation(record);
    }

    fn history_keys(&mut self, record: &ConversationRecord, at_rest: bool) {
        let c = &record.conversation;
        if at_rest {
            self.remove(keys::open(c.id).to_vec());
            let key = keys::customer(&c.account, c.customer.channel, &c.customer.id);
            self.insert(key, c.id.0.to_be_bytes().to_vec());
        } else {
            self.insert(keys::open(c.id).to_vec(), Vec::new());
        }
    }

    /// Says that every `c` record written so far has its `o` or `u` key: start-up then reads
    /// the indexes and not history. (For a store written from scratch, as the checkpoint
    /// would.)
    pub fn history_indexed(&mut self) {
        self.insert(keys::history_indexed().to_vec(), vec![1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::State;
    use crate::store::tests::conversation;

    fn record(id: u64, closed: bool) -> ConversationRecord {
        let mut c = conversation(id, 1);
        if closed {
            c.state = State::Closed;
        }
        ConversationRecord {
            conversation: c,
            turns: vec![id].into(),
        }
    }

    #[test]
    fn an_earlier_releases_records_are_indexed_once_and_only_open_ones_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut set = WriteSet::default();
        // As an earlier release wrote them: `c` records and no index.
        for id in 0..6 {
            set.conversation(&record(id, id % 2 == 0));
        }
        store.write(set).unwrap();
        let ids = |v: Vec<ConversationRecord>| {
            let mut ids: Vec<u64> = v.iter().map(|r| r.conversation.id.0).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(store.open_conversations().unwrap()), [1, 3, 5]);
        assert!(store.get(keys::history_indexed()).unwrap().is_some());
        // Read from the index now: a record written without its key is not seen.
        let mut set = WriteSet::default();
        set.conversation(&record(7, false));
        store.write(set).unwrap();
        assert_eq!(ids(store.open_conversations().unwrap()), [1, 3, 5]);
        assert_eq!(store.next_conversation_id().unwrap(), 8);
        let customer = |id: u64| {
            let c = record(id, true).conversation;
            store
                .customer_conversation(&c.account, c.customer.channel, &c.customer.id)
                .unwrap()
        };
        assert_eq!(customer(4), Some(ConversationId(4)));
        assert_eq!(customer(3), None, "open: found in memory, not here");
        assert_eq!(
            store.conversation(ConversationId(4)).unwrap(),
            Some(record(4, true))
        );
    }

    #[test]
    fn a_checkpoint_moves_a_conversation_between_open_and_at_rest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert!(
            store.open_conversations().unwrap().is_empty(),
            "a new store"
        );
        let mut set = WriteSet::default();
        set.checkpointed(&record(1, false), false);
        store.write(set).unwrap();
        assert_eq!(store.open_conversations().unwrap(), [record(1, false)]);
        let mut set = WriteSet::default();
        set.checkpointed(&record(1, true), true);
        store.write(set).unwrap();
        assert!(store.open_conversations().unwrap().is_empty());
        let c = record(1, true).conversation;
        let found = store.customer_conversation(&c.account, c.customer.channel, &c.customer.id);
        assert_eq!(found.unwrap(), Some(ConversationId(1)));
        assert_eq!(store.next_conversation_id().unwrap(), 2);
    }
}
