//! Background checkpoints: what the turn log says, written where start-up can read it quickly.
//!
//! A conversation changed by a turn, and an event taken in, are written to the checkpoint once
//! they have waited `AGE` (so a customer who writes five times in that while costs one write),
//! a bounded number per engine batch so no batch stalls. The marker then moves to the oldest
//! turn not yet reflected in the checkpoint; start-up replays the log from there. Items are
//! queued in the order their turns were numbered, so the front of each queue holds the oldest.
//!
//! The log a crash would replay is bounded by size as well as by time: a change whose turn is
//! more than [`MAX_REPLAY_TURNS`] behind the newest is due whatever its age, so under heavy
//! traffic the marker stays close. Start-up itself checkpoints what it replayed (see `Engine::
//! build`), so a crash loop replays each turn once rather than the whole log since the last
//! checkpoint on every start.
//!
//! Events go in groups: once the oldest is due, every event due by half the age, or half the
//! turn bound, goes with it (over as many batches as that takes), in buckets as full as
//! [`VALUE_BYTES`] allows (a larger value would make sled write its node to a file of its own),
//! rather than the one event a batch's turns pushed past the line. (Written one at a time, a
//! busy minute made thousands of buckets, and start-up reads each one kept.)
//!
//! A conversation checkpointed again while still open writes its record alone: its `o` key is
//! already stored (this process wrote it, and it is removed only by an at-rest write here).
//!
//! Memory follows open conversations: one written at rest (`Desk::at_rest`) is let go at the
//! next checkpoint round, once the batch holding its record is written and its agents were
//! told, unless a turn changed it since. Start-up and intake read it back from the store.

use super::Engine;
use crate::domain::{ConversationId, Desk, Timestamp};
use crate::store::{ConversationRecord, EventBucket, EventRef, TurnList, WriteSet, VALUE_BYTES};
use foldhash::{HashMap, HashSet, HashSetExt};
use std::collections::VecDeque;

/// How long a change waits before it is checkpointed.
const AGE_MS: u64 = 10_000;
/// A change this many turns behind the newest is due whatever its age.
pub const MAX_REPLAY_TURNS: u64 = 20_000;
/// At most this many conversations, and events, per engine batch.
const MAX_CONVERSATIONS: usize = 128;
const MAX_EVENTS: usize = 4096;

/// An event's share of its bucket's bytes: its JSON is the account and id as JSON writes them
/// plus at most 66 (field names, channel, a turn number of 20 digits); the rest covers the
/// bucket's head.
fn event_bytes(event: &EventRef) -> usize {
    json_len(event.account.as_str()) + json_len(event.id.as_str()) + 80
}

/// The bytes `s` takes inside a JSON string as serde_json writes it: a quote or backslash
/// escaped takes two, a control character two (`\n`) or six (`\u0001`). An id may hold control
/// characters, so counting `s.len()` alone let one bucket grow to several times the size meant.
fn json_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

pub struct Checkpoint {
    /// Changed conversations not yet checkpointed: when, which, and the first such turn.
    dirty: VecDeque<(Timestamp, ConversationId, u64)>,
    dirty_ids: HashSet<ConversationId>,
    events: VecDeque<(Timestamp, EventRef, u64)>,
    /// Stored event buckets, oldest first, with when each was written.
    buckets: VecDeque<(u64, Timestamp)>,
    retention_ms: u64,
    next_bucket: u64,
    marker: Option<u64>,
    /// While a group of events is being written: events up to this age and below this turn
    /// go too.
    events_until: Option<(Timestamp, u64)>,
    /// Open conversations whose `o` key this process has written.
    open_indexed: HashSet<ConversationId>,
    /// Written at rest by the last round: to be let go by the next one.
    settled: Vec<ConversationId>,
}

impl Checkpoint {
    /// `retention`: how long event ids are remembered (redeliveries within it are known).
    pub fn new(next_bucket: u64, retention: std::time::Duration) -> Checkpoint {
        Checkpoint {
            dirty: VecDeque::new(),
            dirty_ids: HashSet::new(),
            events: VecDeque::new(),
            buckets: VecDeque::new(),
            retention_ms: retention.as_millis() as u64,
            next_bucket,
            marker: None,
            events_until: None,
            open_indexed: HashSet::new(),
            settled: Vec::new(),
        }
    }

    /// A stored bucket, at start-up; false when its retention is over (it is then queued
    /// for removal and its events should not be remembered).
    pub fn keep_bucket(&mut self, number: u64, written_at: Timestamp, now: Timestamp) -> bool {
        self.buckets.push_back((number, written_at));
        !self.expired(written_at, now)
    }

    fn expired(&self, written_at: Timestamp, now: Timestamp) -> bool {
        now.0.saturating_sub(written_at.0) >= self.retention_ms
    }

    /// Buckets whose retention is over: their events are to be forgotten and their keys
    /// removed (in `set`).
    pub fn expire(&mut self, now: Timestamp, set: &mut WriteSet) -> Vec<u64> {
        let mut gone = Vec::new();
        while let Some(&(number, at)) = self.buckets.front() {
            if !self.expired(at, now) {
                break;
            }
            self.buckets.pop_front();
            set.remove_events(number);
            gone.push(number);
        }
        gone
    }

    /// A turn changed this conversation.
    pub fn touch(&mut self, id: ConversationId, turn: u64, now: Timestamp) {
        if self.dirty_ids.insert(id) {
            self.dirty.push_back((now, id, turn));
        }
    }

    /// A turn took in this event.
    pub fn event(&mut self, event: EventRef, turn: u64, now: Timestamp) {
        self.events.push_back((now, event, turn));
    }

    /// The conversations written at rest since the last call that no turn has changed since:
    /// their records are stored, so they may go.
    pub fn settled(&mut self) -> Vec<ConversationId> {
        let mut settled = std::mem::take(&mut self.settled);
        settled.retain(|id| !self.dirty_ids.contains(id));
        settled
    }

    /// Adds to `set` what is due (everything when `all`) and the new marker, if it moved.
    pub fn write_due(
        &mut self,
        now: Timestamp,
        all: bool,
        desk: &Desk,
        transcripts: &mut HashMap<ConversationId, TurnList>,
        next_turn: u64,
        set: &mut WriteSet,
    ) {
        let behind = next_turn.saturating_sub(MAX_REPLAY_TURNS);
        let due =
            |at: Timestamp, turn: u64| all || now.0.saturating_sub(at.0) >= AGE_MS || turn < behind;
        let mut written = 0;
        while let Some(&(at, id, turn)) = self.dirty.front() {
            if !due(at, turn) || (!all && written == MAX_CONVERSATIONS) {
                break;
            }
            self.dirty.pop_front();
            self.dirty_ids.remove(&id);
            if let Some(c) = desk.conversation(id) {
                let at_rest = Desk::at_rest(c);
                // Pages in the batch of the record that stops listing them.
                let turns = transcripts
                    .get_mut(&id)
                    .map_or_else(TurnList::default, |list| {
                        list.page_out(id, set);
                        list.clone()
                    });
                let record = ConversationRecord {
                    conversation: c.clone(),
                    turns,
                };
                if at_rest {
                    self.open_indexed.remove(&id);
                    set.checkpointed(&record, true);
                    self.settled.push(id);
                } else if self.open_indexed.insert(id) {
                    set.checkpointed(&record, false);
                } else {
                    set.checkpointed_still_open(&record);
                }
                written += 1;
            }
        }
        if self
            .events
            .front()
            .is_some_and(|&(at, _, turn)| due(at, turn))
        {
            self.events_until = Some((
                Timestamp(now.0.saturating_sub(AGE_MS / 2)),
                next_turn.saturating_sub(MAX_REPLAY_TURNS / 2),
            ));
        }
        let (mut bucket, mut bytes, mut taken) = (Vec::new(), 0, 0);
        while let Some((at, event, turn)) = self.events.front() {
            let grouped = self
                .events_until
                .is_some_and(|(until, below)| *at <= until || *turn < below);
            if !(all || grouped) {
                self.events_until = None;
                break;
            }
            if !all && taken == MAX_EVENTS {
                break;
            }
            let size = event_bytes(event);
            if !bucket.is_empty() && bytes + size > VALUE_BYTES {
                self.write_bucket(std::mem::take(&mut bucket), now, set);
                bytes = 0;
            }
            if let Some((_, event, turn)) = self.events.pop_front() {
                bucket.push((event, turn));
                bytes += size;
                taken += 1;
            }
        }
        if self.events.is_empty() {
            self.events_until = None;
        }
        if !bucket.is_empty() {
            self.write_bucket(bucket, now, set);
        }
        let oldest = [
            self.dirty.front().map(|d| d.2),
            self.events.front().map(|e| e.2),
        ];
        let marker = oldest.into_iter().flatten().min().unwrap_or(next_turn);
        if self.marker != Some(marker) {
            set.marker(marker);
            self.marker = Some(marker);
        }
    }

    /// A new bucket of `events`, written now.
    fn write_bucket(&mut self, events: Vec<(EventRef, u64)>, now: Timestamp, set: &mut WriteSet) {
        let number = self.next_bucket;
        set.events(
            number,
            &EventBucket {
                written_at: now,
                events,
            },
        );
        self.buckets.push_back((number, now));
        self.next_bucket += 1;
    }
}

impl Engine {
    /// One checkpoint round: lets go of what the last round wrote at rest, then adds to `set`
    /// what is due now (everything when `all`).
    pub(super) fn checkpoint_due(&mut self, now: Timestamp, all: bool, set: &mut WriteSet) {
        for id in self.checkpoint.settled() {
            if self.desk.evict(id) {
                self.transcripts.remove(&id);
                self.signals.forget(id);
            }
        }
        self.checkpoint.write_due(
            now,
            all,
            &self.desk,
            &mut self.transcripts,
            self.next_turn,
            set,
        );
    }
}

#[cfg(test)]
mod tests;
