//! The engine's state counted for `GET /metrics`: conversations in memory by state, each
//! account's line, agents by presence, deadlines pending. Asked for at scrape time, so the
//! hot path pays nothing; it walks what is in memory (open conversations), never history.

use super::query::View;
use crate::domain::{Presence, State, Timestamp};
use crate::metrics::{Census, QueueCensus};
use std::time::Duration;

pub(super) fn count(view: &View<'_>, now: Timestamp) -> Census {
    let mut census = Census::default();
    for c in view.desk.conversations() {
        let i = match c.state {
            State::Bot => 0,
            State::Queued(_) => 1,
            State::Offered { .. } => 2,
            State::WithAgent { .. } => 3,
            State::Closed => 4,
        };
        census.conversations[i] += 1;
    }
    let mut accounts: Vec<_> = view.accounts.keys().collect();
    accounts.sort();
    for account in accounts {
        let line = view.desk.queue(account);
        let ids = line.into_iter().flat_map(|q| q.iter());
        let mut length = 0u64;
        let mut oldest: Option<Timestamp> = None;
        for c in ids.filter_map(|id| view.desk.conversation(id)) {
            length += 1;
            if let Some(t) = c.ticket() {
                oldest = Some(oldest.map_or(t.queued_at, |o| o.min(t.queued_at)));
            }
        }
        let waited = oldest.map_or(0, |at| now.0.saturating_sub(at.0));
        census.queues.push(QueueCensus {
            account: account.0.clone(),
            length,
            oldest_wait: Duration::from_millis(waited),
        });
    }
    for agent in view.agents.views() {
        let i = match agent.presence {
            Some(Presence::Available) => 0,
            Some(Presence::Away) => 1,
            None => 2,
        };
        census.agents[i] += 1;
    }
    census.deadlines_pending = view.schedule.stats().pending as u64;
    census
}
