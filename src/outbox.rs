//! Drains a channel's outgoing turns to its sink: in order per conversation, at least once.
//!
//! One runner per channel, in one of two modes:
//! - **live**: turns arrive over the in-memory [`feed`] right after the flush that made them
//!   durable; nothing is read from the store.
//! - **scan**: turns are read from the turn log. The runner starts here (recovery after a
//!   restart, from the saved watermark) and returns here when a delivery is stuck or the feed
//!   skipped some turns, until it has caught up with the log.
//!
//! Turn numbers are dense and written in order. `next` is the first turn the runner has not
//! seen; every turn below it is delivered (or has nothing for this channel) unless it is in
//! `stuck`. So the watermark, every turn below which is delivered, is the smallest stuck turn,
//! or `next`. It is saved at most every `SAVE_EVERY` (one small write per round, not per
//! message); after a crash the turns since the saved watermark are sent again, which
//! at-least-once delivery allows and the message ids let receivers recognise. Each
//! conversation's messages go in order (different conversations concurrently); transient
//! failures are retried with exponential backoff and jitter; what fails for good is kept aside.
//!
//! Every message signed by a person's profile is reported to the engine once its fate is
//! final (delivered, or failed for good) and the round's flush held, over the feed's
//! [`report`] channel; a failure not yet handed over holds the watermark back (see there).

pub mod feed;
pub mod report;

use crate::domain::{Channel, ConversationId, Message};
use crate::shutdown::Shutdown;
use crate::store::{FailedRecord, Outbound, Store, WriteSet};
use futures::future::{join_all, BoxFuture};
use report::{Outcome, Report, Reporter};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// Worth trying again (5xx, timeout, connection refused).
    Retry(String),
    /// Will never succeed (4xx): kept aside with the reason.
    Failed(String),
}

/// Where a channel's messages go.
pub trait Sink: Send + Sync + 'static {
    fn send<'a>(&'a self, turn: &'a Outbound, message: &'a Message) -> BoxFuture<'a, Delivery>;

    /// Called after a round; an error means nothing of the round counts as delivered.
    fn flush(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

const PAGE: usize = 512;
const ATTEMPTS: u32 = 5;
const BASE_DELAY: Duration = Duration::from_millis(100);
const ROUND_DELAY: Duration = Duration::from_secs(2);
const SAVE_EVERY: Duration = Duration::from_millis(250);

pub struct Outbox {
    pub store: Store,
    pub channel: Channel,
    pub sink: Arc<dyn Sink>,
    pub feed: feed::FeedRx,
}

/// Where delivery stands; see the module docs.
struct Progress {
    next: u64,
    /// Turns not fully delivered: their conversation, and how many of their messages already
    /// went out.
    stuck: BTreeMap<u64, (ConversationId, usize)>,
    saved: u64,
    saved_at: Instant,
    /// Reports the engine has not taken or not kept yet.
    reports: Reporter,
}

impl Progress {
    fn watermark(&self) -> u64 {
        let w = self.stuck.keys().next().copied().unwrap_or(self.next);
        self.reports.holds_back().map_or(w, |turn| w.min(turn))
    }
}

/// What one round of delivery achieved.
#[derive(Default)]
struct Round {
    done: Vec<u64>,
    stuck: Vec<(u64, (ConversationId, usize))>,
    failed: Vec<FailedRecord>,
    /// Final outcomes of people's messages, with their turns.
    reports: Vec<(u64, Report)>,
}

impl Outbox {
    pub async fn run(mut self, mut shutdown: Shutdown) {
        let start = match self.store.watermark(self.channel) {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox watermark; starting from 0");
                0
            }
        };
        let mut p = Progress {
            next: start,
            stuck: BTreeMap::new(),
            saved: start,
            saved_at: Instant::now(),
            reports: self.feed.reporter(),
        };
        let mut cursor = Some(start);
        loop {
            let turns = match cursor {
                Some(from) => match self.scan(from, &mut p) {
                    Ok(Some((turns, after))) => {
                        cursor = Some(after);
                        turns
                    }
                    Ok(None) if p.stuck.is_empty() && !self.feed.take_overflow() => {
                        cursor = None;
                        continue;
                    }
                    Ok(None) => {
                        // Caught up but something is stuck (or the feed skipped turns):
                        // wait, then walk the log again from the watermark.
                        cursor = Some(p.watermark());
                        if self.pause(&mut shutdown, &mut p).await {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "outbox read failed; will retry");
                        if self.pause(&mut shutdown, &mut p).await {
                            return;
                        }
                        continue;
                    }
                },
                None => {
                    let batch = tokio::select! {
                        b = self.feed.recv() => b,
                        _ = shutdown.wait() => None,
                        Some(room) = p.reports.room(), if p.reports.waiting() => {
                            p.reports.fill(room);
                            continue;
                        }
                    };
                    let Some(batch) = batch else {
                        p.reports.offer();
                        self.save(&mut p, true);
                        return;
                    };
                    if batch.turns.start > p.next || self.feed.take_overflow() {
                        cursor = Some(p.watermark());
                        continue;
                    }
                    let fresh: Vec<Outbound> = batch
                        .outbound
                        .into_iter()
                        .filter(|o| o.seq >= p.next)
                        .collect();
                    p.next = p.next.max(batch.turns.end);
                    fresh
                }
            };
            let round = self.deliver(turns).await;
            for seq in round.done {
                p.stuck.remove(&seq);
            }
            let stuck = !round.stuck.is_empty();
            p.stuck.extend(round.stuck);
            self.keep_failed(round.failed);
            for (turn, report) in round.reports {
                p.reports.push(turn, report);
            }
            p.reports.offer();
            self.save(&mut p, false);
            if stuck && cursor.is_none() {
                cursor = Some(p.watermark());
            }
            if shutdown.is_triggered() {
                self.save(&mut p, true);
                return;
            }
        }
    }

    /// Reads the next page of the log from `from`: the turns this runner must (re)deliver,
    /// and where to read next. `None` once the log holds nothing more.
    fn scan(
        &self,
        from: u64,
        p: &mut Progress,
    ) -> Result<Option<(Vec<Outbound>, u64)>, crate::store::StoreError> {
        let page = self.store.turns(from, self.feed.durable(), PAGE)?;
        let Some(last) = page.last().map(|(seq, _)| *seq) else {
            return Ok(None);
        };
        // A conversation with a turn still stuck before this page waits: its later turns must
        // not overtake it.
        let mut blocked: HashMap<ConversationId, u64> = HashMap::new();
        for (seq, (conv, _)) in p.stuck.range(..from) {
            blocked.entry(*conv).or_insert(*seq);
        }
        let mut out = Vec::new();
        for (seq, turn) in page {
            let already = match p.stuck.get(&seq) {
                Some((_, sent)) => *sent,
                None if seq < p.next => continue,
                None => 0,
            };
            let Some(mut o) = Outbound::from_turn(seq, &turn) else {
                continue;
            };
            if o.to.channel != self.channel {
                continue;
            }
            if let Some(conv) = o.conversation().filter(|c| blocked.contains_key(c)) {
                p.stuck.insert(seq, (conv, already));
                continue;
            }
            o.pending.drain(..already.min(o.pending.len()));
            o.skipped = already;
            out.push(o);
        }
        p.next = p.next.max(last + 1);
        Ok(Some((out, last + 1)))
    }

    /// Waits `ROUND_DELAY` (or until shutdown, returning true), handing reports over as the
    /// engine makes room.
    async fn pause(&self, shutdown: &mut Shutdown, p: &mut Progress) -> bool {
        let until = Instant::now() + ROUND_DELAY;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return false,
                _ = shutdown.wait() => {
                    p.reports.offer();
                    self.save(p, true);
                    return true;
                }
                Some(room) = p.reports.room(), if p.reports.waiting() => p.reports.fill(room),
            }
        }
    }

    fn save(&self, p: &mut Progress, now: bool) {
        let w = p.watermark();
        if w == p.saved || !(now || p.saved_at.elapsed() >= SAVE_EVERY) {
            return;
        }
        let mut set = WriteSet::default();
        set.watermark(self.channel, w);
        match self.store.write(set) {
            Ok(()) => {
                p.saved = w;
                p.saved_at = Instant::now();
            }
            Err(e) => tracing::error!(error = %e, "saving the outbox watermark failed"),
        }
    }

    fn keep_failed(&self, failed: Vec<FailedRecord>) {
        if failed.is_empty() {
            return;
        }
        let mut set = WriteSet::default();
        for f in &failed {
            set.failed(f);
        }
        if let Err(e) = self.store.write(set) {
            tracing::error!(error = %e, "recording failed messages failed");
        }
    }

    async fn deliver(&self, turns: Vec<Outbound>) -> Round {
        let conversations: HashMap<u64, ConversationId> = turns
            .iter()
            .filter_map(|t| Some((t.seq, t.conversation()?)))
            .collect();
        let turns_of = |round: &Round| {
            round
                .done
                .iter()
                .chain(round.stuck.iter().map(|(seq, _)| seq))
                .filter_map(|seq| Some((*seq, (*conversations.get(seq)?, 0))))
                .collect::<Vec<_>>()
                .into_iter()
        };
        let mut order: Vec<ConversationId> = Vec::new();
        let mut chains: HashMap<ConversationId, Vec<Outbound>> = HashMap::new();
        for t in turns {
            let Some(id) = t.conversation() else {
                continue;
            };
            chains
                .entry(id)
                .or_insert_with(|| {
                    order.push(id);
                    Vec::new()
                })
                .push(t);
        }
        let chains = order.into_iter().filter_map(|id| chains.remove(&id));
        let mut round = Round::default();
        for r in join_all(chains.map(|chain| self.deliver_chain(chain))).await {
            round.done.extend(r.done);
            round.stuck.extend(r.stuck);
            round.failed.extend(r.failed);
            round.reports.extend(r.reports);
        }
        if let Err(e) = self.sink.flush().await {
            tracing::warn!(error = %e, "sink flush failed; the round will be sent again");
            let all: Vec<_> = turns_of(&round).collect();
            round = Round {
                stuck: all,
                ..Round::default()
            };
        }
        round
    }

    /// One conversation's turns, strictly in order: a message still failing after its retries
    /// holds back everything after it (all marked stuck) until the next round.
    async fn deliver_chain(&self, chain: Vec<Outbound>) -> Round {
        let mut round = Round::default();
        let mut blocked = false;
        // A later turn under a newer epoch means someone else holds the conversation now: a
        // bot message from before never reaches the customer after the handoff.
        let newest = chain
            .iter()
            .flat_map(|t| t.pending.iter().map(|m| m.epoch))
            .max()
            .unwrap_or(0);
        for turn in chain {
            let Some(conv) = turn.conversation() else {
                continue;
            };
            if blocked {
                round.stuck.push((turn.seq, (conv, turn.skipped)));
                continue;
            }
            let mut sent = 0;
            for message in &turn.pending {
                if message.epoch < newest && message.from == crate::domain::Author::Bot {
                    tracing::info!(message = %message.id, "bot message overtaken by a handoff; not sent");
                    round.failed.push(FailedRecord {
                        account: turn.account.clone(),
                        to: turn.to.clone(),
                        message: message.clone(),
                        error: "stale: the conversation changed hands before it was sent".into(),
                    });
                    sent += 1;
                    continue;
                }
                let report = |outcome| Report::of(&turn.account, message, outcome);
                match self.send_with_retry(&turn, message).await {
                    Delivery::Delivered => {
                        round
                            .reports
                            .extend(report(Outcome::Delivered).map(|r| (turn.seq, r)));
                    }
                    Delivery::Failed(why) => {
                        tracing::warn!(message = %message.id, %why, "outbound message failed for good");
                        round
                            .reports
                            .extend(report(Outcome::Failed(why.clone())).map(|r| (turn.seq, r)));
                        round.failed.push(FailedRecord {
                            account: turn.account.clone(),
                            to: turn.to.clone(),
                            message: message.clone(),
                            error: why,
                        });
                    }
                    Delivery::Retry(why) => {
                        tracing::warn!(message = %message.id, %why, "outbound message still failing; will retry");
                        blocked = true;
                        break;
                    }
                }
                sent += 1;
            }
            if blocked {
                round.stuck.push((turn.seq, (conv, turn.skipped + sent)));
            } else {
                round.done.push(turn.seq);
            }
        }
        round
    }

    async fn send_with_retry(&self, turn: &Outbound, message: &Message) -> Delivery {
        let mut attempt = 0;
        loop {
            let result = self.sink.send(turn, message).await;
            attempt += 1;
            match result {
                Delivery::Retry(_) if attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }
}

/// Exponential backoff with "equal jitter": half fixed, half random, so retries spread out.
fn backoff(attempt: u32) -> Duration {
    let full = BASE_DELAY * 2u32.pow(attempt.min(10));
    full / 2 + full.mul_f64(fastrand::f64() / 2.0)
}

#[cfg(test)]
mod tests;
