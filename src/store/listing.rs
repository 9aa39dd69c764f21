//! Reads for listing and exporting history: the stored conversations in id order, one record
//! at a time, and what is known of an outgoing message's delivery. Nothing here holds more
//! than one conversation's record, or one turn's messages, at once.

use super::keys;
use super::records::{self, ConversationRecord, FailedRecord};
use super::{Store, StoreError};
use crate::domain::{ConversationId, Message, MessageId};

impl Store {
    /// The checkpointed conversations with ids above `after` (all of them for `None`), in id
    /// order, each decoded only when the iterator reaches it.
    pub fn conversations_after(
        &self,
        after: Option<ConversationId>,
    ) -> impl Iterator<Item = Result<ConversationRecord, StoreError>> + '_ {
        let from = match after {
            Some(id) => keys::conversation(ConversationId(id.0.saturating_add(1))),
            None => keys::conversation(ConversationId(0)),
        };
        // `after` = u64::MAX has nothing above it; the saturated key would name itself.
        let exhausted = after.is_some_and(|id| id.0 == u64::MAX);
        self.range(
            std::ops::Bound::Included(from.to_vec()),
            std::ops::Bound::Unbounded,
        )
        .take_while(|kv| {
            kv.as_ref()
                .map_or(true, |(k, _)| k[0] == keys::CONVERSATION)
        })
        .filter(move |_| !exhausted)
        .map(|kv| {
            let (k, v) = kv?;
            records::decode(&k, &v)
        })
    }

    /// The messages of one turn (none if the turn is not stored).
    pub fn turn_messages(&self, turn: u64) -> Result<Vec<Message>, StoreError> {
        Ok(self.turn(turn)?.map(|t| t.messages).unwrap_or_default())
    }

    /// Why the channel refused this message for good, if it did.
    pub fn failure(&self, message: MessageId) -> Result<Option<String>, StoreError> {
        let key = keys::failed(message.conversation, message.seq);
        self.get(key)?
            .map(|v| records::decode::<FailedRecord>(&key, &v).map(|f| f.error))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::conversation;
    use crate::store::WriteSet;

    fn record(id: u64) -> ConversationRecord {
        ConversationRecord {
            conversation: conversation(id, 1),
            turns: vec![id].into(),
        }
    }

    #[test]
    fn conversations_come_in_id_order_from_after_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let mut set = WriteSet::default();
        // Written out of order, and beside keys of other spaces on either side.
        for id in [5, 1, 300, 2, 256] {
            set.conversation(&record(id));
        }
        set.marker(7);
        set.history_indexed();
        store.write(set).unwrap();
        let ids = |after: Option<u64>| -> Vec<u64> {
            store
                .conversations_after(after.map(ConversationId))
                .map(|r| r.unwrap().conversation.id.0)
                .collect()
        };
        assert_eq!(ids(None), [1, 2, 5, 256, 300]);
        assert_eq!(ids(Some(2)), [5, 256, 300]);
        assert_eq!(ids(Some(3)), [5, 256, 300]);
        assert_eq!(ids(Some(300)), Vec::<u64>::new());
        assert_eq!(ids(Some(u64::MAX)), Vec::<u64>::new());
    }
}
