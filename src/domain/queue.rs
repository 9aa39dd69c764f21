//! The queue of conversations waiting for a human, one per account.
//!
//! Ordered by rank, then by id so the order is total and survives a restart exactly. The rank
//! is the time queued, moved earlier by `ageing` for each priority level: a conversation's
//! priority in effect is its priority plus the number of `ageing` periods it has waited, so a
//! wait of long enough outranks any priority and nobody starves. Comparing two such priorities
//! does not depend on the time of the comparison, so the order is fixed at insertion and the
//! queue needs no re-sorting as time passes.

use super::conversation::Ticket;
use super::ids::ConversationId;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;
use std::time::Duration;

type Key = (i64, ConversationId);

#[derive(Debug, Clone)]
pub struct Queue {
    order: BTreeSet<Key>,
    keys: HashMap<ConversationId, Key>,
    ageing_ms: i64,
}

impl Queue {
    /// A queue in which each `ageing` of waiting is worth one priority level.
    pub fn new(ageing: Duration) -> Queue {
        Queue {
            order: BTreeSet::new(),
            keys: HashMap::new(),
            ageing_ms: i64::try_from(ageing.as_millis()).unwrap_or(i64::MAX),
        }
    }

    fn key(&self, id: ConversationId, ticket: &Ticket) -> Key {
        let queued = i64::try_from(ticket.queued_at.0).unwrap_or(i64::MAX);
        let head_start = self.ageing_ms.saturating_mul(i64::from(ticket.priority));
        (queued.saturating_sub(head_start), id)
    }

    /// Puts the conversation in line (again, if it was: the ticket decides its place).
    pub fn insert(&mut self, id: ConversationId, ticket: &Ticket) {
        self.remove(id);
        let key = self.key(id, ticket);
        self.order.insert(key);
        self.keys.insert(id, key);
    }

    pub fn remove(&mut self, id: ConversationId) -> bool {
        match self.keys.remove(&id) {
            Some(key) => self.order.remove(&key),
            None => false,
        }
    }

    /// 1-based place in line, as the customer is told it.
    pub fn position(&self, id: ConversationId) -> Option<usize> {
        let key = self.keys.get(&id)?;
        Some(self.order.range(..key).count() + 1)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Conversation ids from the front of the line.
    pub fn iter(&self) -> impl Iterator<Item = ConversationId> + '_ {
        self.order.iter().map(|(_, id)| *id)
    }
}
