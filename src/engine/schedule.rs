//! The scheduler: one ordered index of every pending deadline, `(deadline, timer)`, and one
//! sleep until the earliest, inside the engine task. No task or timer per conversation.
//!
//! The desk says how the index moves (`Effect::Schedule`), and the move is persisted in the
//! batch that writes the change that caused it: a conversation's deadline is a field of the
//! conversation, so it is in the very turn record (and later the checkpoint) of the change; an
//! agent's grace deadline is a key of its own (keyspace `d`, ordered by time). Start-up rebuilds
//! the index from the conversations it loads and the `d` keys; overdue deadlines fire on the
//! engine's first turn, oldest first. A deadline that fires leaves the index; the input that
//! handles it writes the conversation without it (or removes the agent's key).
//!
//! Why not one `d` key per conversation too: with a million deadlines, reading such a keyspace
//! back took 8 s on a cold start (sled's pages fragmented by constant small writes), against a
//! 3 s target, and it cost two more keys per change on the hot path; the conversations are
//! loaded at start-up anyway, and indexing their deadlines takes a fraction of a second.

use crate::domain::{Timer, Timestamp};
use crate::store::WriteSet;
use std::collections::BTreeSet;

/// Lateness is counted per millisecond up to this; later ones share the last bucket.
const LATE_BUCKETS: usize = 1024;

#[derive(Debug)]
pub struct Schedule {
    index: BTreeSet<(Timestamp, Timer)>,
    lateness: Lateness,
}

impl Schedule {
    /// The index from every pending deadline, in any order.
    pub fn new(deadlines: impl IntoIterator<Item = (Timestamp, Timer)>) -> Schedule {
        Schedule {
            index: deadlines.into_iter().collect(),
            lateness: Lateness::default(),
        }
    }

    /// Moves `timer` from `from` to `to`, in memory and in `set`.
    pub fn apply(
        &mut self,
        timer: Timer,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        set: &mut WriteSet,
    ) {
        // A conversation's deadline is written with the conversation itself.
        let keyed = matches!(timer, Timer::Agent(_));
        if let Some(at) = from {
            if self.index.remove(&(at, timer)) && keyed {
                set.remove_deadline(at, timer);
            }
        }
        if let Some(at) = to {
            if self.index.insert((at, timer)) && keyed {
                set.deadline(at, timer);
            }
        }
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Timestamp> {
        self.index.first().map(|(at, _)| *at)
    }

    /// Takes up to `limit` deadlines due at `now`, oldest first, out of the index (and out of
    /// the store, in `set`), counting how late each is.
    pub fn take_due(
        &mut self,
        now: Timestamp,
        limit: usize,
        set: &mut WriteSet,
    ) -> Vec<(Timestamp, Timer)> {
        let mut due = Vec::new();
        while due.len() < limit {
            match self.index.first() {
                Some(&(at, timer)) if at <= now => {
                    self.index.pop_first();
                    if let Timer::Agent(_) = timer {
                        set.remove_deadline(at, timer);
                    }
                    self.lateness.record(now.0 - at.0);
                    due.push((at, timer));
                }
                _ => break,
            }
        }
        due
    }

    /// The agents whose grace deadline is pending.
    pub fn agents(&self) -> foldhash::HashSet<crate::domain::AgentId> {
        self.index
            .iter()
            .filter_map(|(_, t)| match t {
                Timer::Agent(a) => Some(*a),
                Timer::Conversation(_) => None,
            })
            .collect()
    }

    pub fn stats(&self) -> ScheduleStats {
        ScheduleStats {
            pending: self.index.len(),
            fired: self.lateness.count,
            late_p50_ms: self.lateness.quantile(0.50),
            late_p99_ms: self.lateness.quantile(0.99),
            late_max_ms: self.lateness.max,
        }
    }
}

/// What the scheduler reports (`GET /v1/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleStats {
    pub pending: usize,
    pub fired: u64,
    /// How late deadlines were handled, since start-up (overdue ones at start-up included).
    pub late_p50_ms: u64,
    pub late_p99_ms: u64,
    pub late_max_ms: u64,
}

/// A histogram of lateness in whole milliseconds.
#[derive(Debug)]
struct Lateness {
    buckets: Box<[u64; LATE_BUCKETS]>,
    count: u64,
    max: u64,
}

impl Default for Lateness {
    fn default() -> Self {
        Lateness {
            buckets: Box::new([0; LATE_BUCKETS]),
            count: 0,
            max: 0,
        }
    }
}

impl Lateness {
    fn record(&mut self, ms: u64) {
        let i = usize::try_from(ms).map_or(LATE_BUCKETS - 1, |i| i.min(LATE_BUCKETS - 1));
        self.buckets[i] += 1;
        self.count += 1;
        self.max = self.max.max(ms);
    }

    /// The smallest lateness at least `q` of the deadlines were within (the last bucket
    /// reports the maximum).
    fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let want = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (ms, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= want {
                return if ms == LATE_BUCKETS - 1 {
                    self.max
                } else {
                    ms as u64
                };
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AgentId, ConversationId};

    fn c(n: u64) -> Timer {
        Timer::Conversation(ConversationId(n))
    }

    #[test]
    fn deadlines_come_due_in_order_and_once() {
        let mut s = Schedule::new(vec![(Timestamp(30), c(3)), (Timestamp(10), c(1))]);
        let mut set = WriteSet::default();
        s.apply(
            Timer::Agent(AgentId(7)),
            None,
            Some(Timestamp(20)),
            &mut set,
        );
        s.apply(c(3), Some(Timestamp(30)), Some(Timestamp(5)), &mut set);
        assert_eq!(s.next(), Some(Timestamp(5)));
        let due = s.take_due(Timestamp(20), 10, &mut set);
        assert_eq!(
            due,
            [
                (Timestamp(5), c(3)),
                (Timestamp(10), c(1)),
                (Timestamp(20), Timer::Agent(AgentId(7)))
            ]
        );
        assert!(s.take_due(Timestamp(1_000), 10, &mut set).is_empty());
        assert_eq!(s.next(), None);
        let stats = s.stats();
        assert_eq!(
            (stats.fired, stats.late_max_ms, stats.late_p50_ms),
            (3, 15, 10)
        );
    }

    #[test]
    fn take_due_stops_at_the_limit_and_at_now() {
        let mut s = Schedule::new((1..=5).map(|n| (Timestamp(n), c(n))));
        let mut set = WriteSet::default();
        assert_eq!(s.take_due(Timestamp(4), 2, &mut set).len(), 2);
        assert_eq!(s.take_due(Timestamp(4), 9, &mut set).len(), 2);
        assert_eq!(s.next(), Some(Timestamp(5)));
    }

    #[test]
    fn lateness_quantiles() {
        let mut l = Lateness::default();
        for ms in 1..=100 {
            l.record(ms);
        }
        l.record(5_000);
        assert_eq!(l.quantile(0.5), 51);
        assert_eq!(l.quantile(0.99), 100);
        assert_eq!(l.quantile(1.0), 5_000);
    }
}
