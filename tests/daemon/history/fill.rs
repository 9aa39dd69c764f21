//! A large history written straight into a store, as checkpoints would have left it: closed
//! conversations at rest (with their customers' index keys) and open ones with the bot. Shared
//! by the daemon test and `benches/startup.rs`.
//!
//! Closed conversations are numbered `0..closed` (customer `h{id}`), open ones after them
//! (customer `o{id}`). Conversation 0 and the first open one have a turn each (the customer's
//! message and the bot's answer), so their transcripts can be checked; the rest have none.
//! Also used by `benches/backup.rs`, which adds turns of its own with `message`.

use baton::domain::{
    AccountId, Author, Channel, Conversation, ConversationId, Customer, CustomerId, Message,
    MessageId, State, Timestamp,
};
use baton::store::{ConversationRecord, Store, TurnRecord, WriteSet};
use std::path::Path;

/// What the customers of the two conversations with a transcript said, and the bot answered.
pub const SAID: &str = "my order is late";
pub const ANSWERED: &str = "Looking into it.";

/// The customer id of conversation `id`.
pub fn customer(id: u64, closed: u64) -> String {
    if id < closed {
        format!("h{id}")
    } else {
        format!("o{id}")
    }
}

/// Message `seq` of conversation `id`.
pub fn message(id: u64, seq: u64, from: Author, text: &str, at: Timestamp) -> Message {
    Message {
        id: MessageId {
            conversation: ConversationId(id),
            seq,
        },
        from,
        text: text.to_owned(),
        payload: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
        profile: None,
        at,
        epoch: 0,
    }
}

/// Writes `closed` conversations at rest and `open` ones with the bot into the store in
/// `data`, in batches, and flushes.
pub fn write(data: &Path, closed: u64, open: u64) {
    let store = Store::open(data, 64 << 20).expect("store");
    let now = Timestamp(1_700_000_000_000);
    let mut set = WriteSet::default();
    let mut next_turn = 0;
    for id in 0..closed + open {
        let at_rest = id < closed;
        let who = Customer {
            channel: Channel::Webhook,
            id: CustomerId(customer(id, closed)),
            name: Some("Jo".into()),
        };
        let mut c = Conversation::new(ConversationId(id), AccountId::from("acme"), who, now);
        c.greeted = true;
        c.revision = 2;
        if at_rest {
            c.state = State::Closed;
        }
        let mut turns = Vec::new();
        if id == 0 || id == closed {
            let messages = vec![
                message(id, 0, Author::Customer, SAID, now),
                message(id, 1, Author::Bot, ANSWERED, now),
            ];
            c.next_seq = 2;
            set.turn(
                next_turn,
                &TurnRecord {
                    event: None,
                    conversation: c.clone(),
                    messages,
                },
            );
            turns.push(next_turn);
            next_turn += 1;
        }
        set.checkpointed(
            &ConversationRecord {
                conversation: c,
                turns: turns.into(),
            },
            at_rest,
        );
        if id % 10_000 == 9_999 {
            store.write(std::mem::take(&mut set)).expect("write");
        }
    }
    // Everything is checkpointed: nothing to replay, and the indexes are whole.
    set.marker(next_turn);
    set.watermark(Channel::Webhook, next_turn);
    set.history_indexed();
    store.write(set).expect("write");
    store.barrier().expect("barrier");
}
