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
//! message), also when the runner is idle, and synced at once; after a crash the turns
//! delivered since the saved watermark (at most `SAVE_EVERY` of them) are sent again, which
//! at-least-once delivery allows and the message ids let receivers recognise. Each
//! conversation's messages go in order (different conversations concurrently); transient
//! failures are retried with exponential backoff and jitter, a few times within a round, then
//! across rounds with a wait that doubles up to `[outbound] retry_ceiling` ([`failing`], which
//! also keeps an outage to one log line a minute); what fails for good is kept aside.
//!
//! Every message signed by a person's profile is reported to the engine once its fate is
//! final (delivered, or failed for good) and the round's flush held, over the feed's
//! [`report`] channel; a failure not yet handed over holds the watermark back (see there).

mod deliver;
mod failing;
pub mod feed;
pub mod report;

use crate::domain::{Channel, ConversationId, Message};
use crate::shutdown::Shutdown;
use crate::store::{FailedRecord, Outbound, Store, WriteSet};
use failing::{Failing, Waiting};
use foldhash::{HashMap, HashMapExt};
use futures::future::BoxFuture;
use report::Reporter;
use std::collections::BTreeMap;
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
    /// The longest wait between two tries of a conversation that keeps failing.
    pub retry_ceiling: Duration,
    /// Sends, retries, and what is left undelivered.
    pub metrics: crate::metrics::Metrics,
}

/// A turn not fully delivered.
#[derive(Debug, Clone, Copy)]
struct Stuck {
    conversation: ConversationId,
    /// How many of its messages already went out.
    sent: usize,
    /// How many wait.
    left: usize,
}

/// Where delivery stands; see the module docs.
struct Progress {
    next: u64,
    /// Turns not fully delivered.
    stuck: BTreeMap<u64, Stuck>,
    failing: Failing,
    saved: u64,
    saved_at: Instant,
    /// Reports the engine has not taken or not kept yet.
    reports: Reporter,
    /// Syncs of saved watermarks still running: awaited before the runner returns, so a stop
    /// leaves nothing holding the store.
    syncs: Vec<tokio::task::JoinHandle<()>>,
}

impl Progress {
    fn watermark(&self) -> u64 {
        let w = self.stuck.keys().next().copied().unwrap_or(self.next);
        self.reports.holds_back().map_or(w, |turn| w.min(turn))
    }
}

impl Outbox {
    pub async fn run(mut self, shutdown: Shutdown) {
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
            failing: Failing::new(self.channel, self.retry_ceiling),
            saved: start,
            saved_at: Instant::now(),
            reports: self.feed.reporter(),
            syncs: Vec::new(),
        };
        self.rounds(shutdown, &mut p).await;
        for sync in p.syncs.drain(..) {
            let _ = sync.await;
        }
    }

    async fn rounds(&mut self, mut shutdown: Shutdown, p: &mut Progress) {
        let start = p.next;
        let mut cursor = Some(start);
        loop {
            let turns = match cursor {
                Some(from) => match self.scan(from, p) {
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
                        if self.pause(&mut shutdown, p).await {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "outbox read failed; will retry");
                        if self.pause(&mut shutdown, p).await {
                            return;
                        }
                        continue;
                    }
                },
                None => {
                    let unsaved = p.watermark() != p.saved;
                    let save_at = p.saved_at + SAVE_EVERY;
                    let batch = tokio::select! {
                        b = self.feed.recv() => b,
                        _ = shutdown.wait() => None,
                        // Idle with progress unsaved: save it when due, so a crash re-sends at
                        // most `SAVE_EVERY` of deliveries whether traffic goes on or not.
                        _ = tokio::time::sleep_until(save_at), if unsaved => {
                            self.save(p, true);
                            continue;
                        }
                        Some(room) = p.reports.room(), if p.reports.waiting() => {
                            p.reports.fill(room);
                            continue;
                        }
                    };
                    let Some(batch) = batch else {
                        p.reports.offer();
                        self.save(p, true);
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
            self.measure(p, &turns);
            let round = self.deliver(turns, &p.failing).await;
            for seq in round.done {
                p.stuck.remove(&seq);
            }
            let now = Instant::now();
            for (conversation, error) in round.tried {
                match error {
                    None => p.failing.delivered(conversation, now),
                    Some(why) => p.failing.failed(conversation, &why, now),
                }
            }
            self.measure(p, &[]);
            let stuck = !round.stuck.is_empty();
            p.stuck.extend(round.stuck);
            self.keep_failed(round.failed);
            for (turn, report) in round.reports {
                p.reports.push(turn, report);
            }
            p.reports.offer();
            self.save(p, false);
            p.failing.tell(waiting(&p.stuck), now);
            if stuck && cursor.is_none() {
                cursor = Some(p.watermark());
            }
            if shutdown.is_triggered() {
                self.save(p, true);
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
        for (seq, stuck) in p.stuck.range(..from) {
            blocked.entry(stuck.conversation).or_insert(*seq);
        }
        let mut out = Vec::new();
        for (seq, turn) in page {
            let already = match p.stuck.get(&seq) {
                Some(stuck) => stuck.sent,
                None if seq < p.next => continue,
                None => 0,
            };
            let Some(mut o) = Outbound::from_turn(seq, &turn) else {
                continue;
            };
            if o.to.channel != self.channel {
                continue;
            }
            if let Some(conversation) = o.conversation().filter(|c| blocked.contains_key(c)) {
                let stuck = Stuck {
                    conversation,
                    sent: already,
                    left: o.pending.len().saturating_sub(already),
                };
                p.stuck.insert(seq, stuck);
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
                // Durable now rather than at the next acknowledgement's sync: the window of
                // re-sends after a crash is `SAVE_EVERY`, traffic or not. Off the runtime
                // thread, and nobody waits for it.
                let store = self.store.clone();
                p.syncs.retain(|s| !s.is_finished());
                p.syncs.push(tokio::task::spawn_blocking(move || {
                    if let Err(e) = store.flush() {
                        tracing::error!(error = %e, "syncing the outbox watermark failed");
                    }
                }));
            }
            Err(e) => tracing::error!(error = %e, "saving the outbox watermark failed"),
        }
    }

    /// What is undelivered: the round about to go and the turns stuck. The oldest message's
    /// time is the round's; with only stuck turns left it stays what the round that left
    /// them said.
    fn measure(&self, p: &Progress, round: &[Outbound]) {
        if !self.metrics.is_enabled() {
            return;
        }
        let channel = self.channel.into();
        let depth = round.len() + p.stuck.len();
        self.metrics.outbox_depth(channel, depth);
        if depth == 0 {
            self.metrics.outbox_oldest(channel, None);
        } else if let Some(at) = round
            .iter()
            .filter_map(|o| o.pending.first())
            .map(|m| m.at.0)
            .min()
        {
            self.metrics.outbox_oldest(channel, Some(at));
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
}

/// What the stuck turns hold back: messages, and the conversations they belong to.
fn waiting(stuck: &BTreeMap<u64, Stuck>) -> Waiting {
    let conversations: foldhash::HashSet<ConversationId> =
        stuck.values().map(|s| s.conversation).collect();
    Waiting {
        messages: stuck.values().map(|s| s.left).sum(),
        conversations: conversations.len(),
    }
}

#[cfg(test)]
mod tests;
