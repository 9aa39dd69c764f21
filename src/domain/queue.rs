//! The queue of conversations waiting for a human, one per account.
//!
//! Ordered by priority (higher first), then by the time queued (older first), then by id so
//! that the order is total and survives a restart exactly.

use super::conversation::Ticket;
use super::ids::{ConversationId, Timestamp};
use std::cmp::Reverse;
use std::collections::BTreeSet;

type Key = (Reverse<u8>, Timestamp, ConversationId);

#[derive(Debug, Default, Clone)]
pub struct Queue {
    order: BTreeSet<Key>,
}

fn key(id: ConversationId, ticket: &Ticket) -> Key {
    (Reverse(ticket.priority), ticket.queued_at, id)
}

impl Queue {
    pub fn insert(&mut self, id: ConversationId, ticket: &Ticket) {
        self.order.insert(key(id, ticket));
    }

    pub fn remove(&mut self, id: ConversationId, ticket: &Ticket) -> bool {
        self.order.remove(&key(id, ticket))
    }

    /// 1-based place in line, as the customer is told it.
    pub fn position(&self, id: ConversationId, ticket: &Ticket) -> Option<usize> {
        let k = key(id, ticket);
        if !self.order.contains(&k) {
            return None;
        }
        Some(self.order.range(..k).count() + 1)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Conversation ids from the front of the line.
    pub fn iter(&self) -> impl Iterator<Item = ConversationId> + '_ {
        self.order.iter().map(|(_, _, id)| *id)
    }
}
