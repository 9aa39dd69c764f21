//! The queue of conversations waiting for a human, one per account.
//!
//! Ordered by rank, then by id so the order is total and survives a restart exactly. The rank
//! is the time queued, moved earlier by `ageing` for each priority level: a conversation's
//! priority in effect is its priority plus the number of `ageing` periods it has waited, so a
//! wait of long enough outranks any priority and nobody starves. Comparing two such priorities
//! does not depend on the time of the comparison, so the order is fixed at insertion and the
//! queue needs no re-sorting as time passes; only a new `ageing` (a reload) reworks it.

use super::conversation::Ticket;
use super::ids::ConversationId;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;
use std::time::Duration;

type Key = (i64, ConversationId);

/// A conversation's place, with what it was worked out from (so a new `ageing` can rework it).
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Key,
    queued: i64,
    priority: u8,
}

#[derive(Debug, Clone)]
pub struct Queue {
    order: BTreeSet<Key>,
    entries: HashMap<ConversationId, Entry>,
    ageing_ms: i64,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The time queued, moved earlier by `ageing_ms` for each priority level.
fn rank(queued: i64, priority: u8, ageing_ms: i64) -> i64 {
    queued.saturating_sub(ageing_ms.saturating_mul(i64::from(priority)))
}

impl Queue {
    /// A queue in which each `ageing` of waiting is worth one priority level.
    pub fn new(ageing: Duration) -> Queue {
        Queue {
            order: BTreeSet::new(),
            entries: HashMap::new(),
            ageing_ms: millis(ageing),
        }
    }

    /// Orders the line by a new `ageing` (a reload): every place is worked out again from when
    /// its conversation was queued and its priority, as a restart with the new rules would.
    pub fn set_ageing(&mut self, ageing: Duration) {
        let ageing_ms = millis(ageing);
        if ageing_ms == self.ageing_ms {
            return;
        }
        self.ageing_ms = ageing_ms;
        self.order.clear();
        for (id, e) in self.entries.iter_mut() {
            e.key = (rank(e.queued, e.priority, ageing_ms), *id);
            self.order.insert(e.key);
        }
    }

    /// Puts the conversation in line (again, if it was: the ticket decides its place).
    pub fn insert(&mut self, id: ConversationId, ticket: &Ticket) {
        self.remove(id);
        let queued = i64::try_from(ticket.queued_at.0).unwrap_or(i64::MAX);
        let key = (rank(queued, ticket.priority, self.ageing_ms), id);
        self.order.insert(key);
        let entry = Entry {
            key,
            queued,
            priority: ticket.priority,
        };
        self.entries.insert(id, entry);
    }

    pub fn remove(&mut self, id: ConversationId) -> bool {
        match self.entries.remove(&id) {
            Some(e) => self.order.remove(&e.key),
            None => false,
        }
    }

    /// 1-based place in line, as the customer is told it.
    pub fn position(&self, id: ConversationId) -> Option<usize> {
        let entry = self.entries.get(&id)?;
        Some(self.order.range(..entry.key).count() + 1)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    const MIN: u64 = 60_000;

    fn ticket(priority: u8, queued_at: u64) -> Ticket {
        Ticket::new("test", priority, Timestamp(queued_at), Timestamp(queued_at))
    }

    fn line(q: &Queue) -> Vec<u64> {
        q.iter().map(|id| id.0).collect()
    }

    #[test]
    fn a_new_ageing_reorders_the_line_as_a_fresh_queue_would() {
        // 1 waited longest at priority 0; 2 came 2 minutes later at priority 5; 3 in between.
        let tickets = [
            (1, ticket(0, 0)),
            (2, ticket(5, 2 * MIN)),
            (3, ticket(1, MIN)),
        ];
        let mut q = Queue::new(Duration::from_secs(300));
        for (id, t) in &tickets {
            q.insert(ConversationId(*id), t);
        }
        assert_eq!(line(&q), [2, 3, 1]);

        q.set_ageing(Duration::from_secs(10));
        assert_eq!(line(&q), [1, 3, 2]);
        assert_eq!(q.position(ConversationId(2)), Some(3));
        let mut fresh = Queue::new(Duration::from_secs(10));
        for (id, t) in &tickets {
            fresh.insert(ConversationId(*id), t);
        }
        assert_eq!(line(&q), line(&fresh));

        // Taken out and put back, a conversation is placed by the new ageing too.
        assert!(q.remove(ConversationId(1)));
        assert_eq!(line(&q), [3, 2]);
        q.insert(ConversationId(1), &tickets[0].1);
        assert_eq!(line(&q), [1, 3, 2]);
        assert_eq!(q.len(), 3);
    }
}
