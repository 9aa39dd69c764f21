//! Drains a channel's persisted outbox to its sink: in order per conversation, at least once.
//!
//! One runner per channel, in one of two modes:
//! - **live**: turns arrive over the in-memory [`feed`] right after the flush that made them
//!   durable; the store is only written to (delivered entries removed).
//! - **scan**: the oldest entries are read from the store. The runner starts here (recovery
//!   after a restart), and returns here whenever a delivery is stuck or the feed overflowed,
//!   until the store holds nothing undelivered.
//!
//! Entries carry increasing outbox sequence numbers, assigned and written in order. The
//! `horizon` is the highest one a scan has seen; the final, empty scan proves everything up to
//! it was delivered, so live turns at or below it are skipped: a switch of modes never sends
//! twice. Each conversation's messages go in order (different conversations concurrently);
//! transient failures are retried with exponential backoff and jitter; what fails for good is
//! set aside; progress is written only after the sink confirmed it, so a crash resends rather
//! than loses.

pub mod feed;

use crate::domain::{ConversationId, Message};
use crate::shutdown::Shutdown;
use crate::store::{FailedRecord, Outbound, OutboxKey, OutboxRecord, Store};
use futures::future::{join_all, BoxFuture};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

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
    fn send<'a>(&'a self, entry: &'a OutboxRecord, message: &'a Message)
        -> BoxFuture<'a, Delivery>;

    /// Called after a round; an error means nothing of the round counts as delivered.
    fn flush(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

const PAGE: usize = 512;
const ATTEMPTS: u32 = 5;
const BASE_DELAY: Duration = Duration::from_millis(100);
const ROUND_DELAY: Duration = Duration::from_secs(2);

pub struct Outbox {
    pub store: Store,
    pub channel: crate::domain::Channel,
    pub sink: Arc<dyn Sink>,
    pub feed: feed::FeedRx,
}

/// What one round of delivery achieved, to be written back in one batch.
#[derive(Default)]
struct Round {
    done: Vec<OutboxKey>,
    progress: Vec<(OutboxKey, OutboxRecord)>,
    failed: Vec<FailedRecord>,
    stuck: bool,
}

impl Round {
    fn merge(&mut self, other: Round) {
        self.done.extend(other.done);
        self.progress.extend(other.progress);
        self.failed.extend(other.failed);
        self.stuck |= other.stuck;
    }
}

impl Outbox {
    pub async fn run(mut self, mut shutdown: Shutdown) {
        let mut horizon: Option<u64> = None;
        let mut scanning = true;
        loop {
            let round = if scanning {
                let page = match self.store.outbox(self.channel, PAGE) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "outbox read failed; will retry");
                        Vec::new()
                    }
                };
                if page.is_empty() && !self.feed.take_overflow() {
                    scanning = false;
                    continue;
                }
                horizon = page.iter().map(|t| t.key.seq).max().max(horizon);
                self.deliver(page).await
            } else {
                let turns = tokio::select! {
                    turns = self.feed.recv() => turns,
                    _ = shutdown.wait() => return,
                };
                let Some(mut turns) = turns else { return };
                turns.retain(|t| horizon.is_none_or(|h| t.key.seq > h));
                if self.feed.take_overflow() {
                    // Some turns never reached the feed; the store has them all, in order.
                    scanning = true;
                    continue;
                }
                self.deliver(turns).await
            };
            if let Err(e) = self
                .store
                .outbox_settle(&round.done, &round.progress, &round.failed)
            {
                tracing::error!(error = %e, "outbox settle failed");
            }
            if shutdown.is_triggered() {
                return;
            }
            if round.stuck {
                scanning = true;
                tokio::select! {
                    _ = tokio::time::sleep(ROUND_DELAY) => {}
                    _ = shutdown.wait() => return,
                }
            }
        }
    }

    async fn deliver(&self, page: Vec<Outbound>) -> Round {
        let mut order: Vec<ConversationId> = Vec::new();
        let mut chains: HashMap<ConversationId, Vec<Outbound>> = HashMap::new();
        for entry in page {
            let id = entry.record.conversation;
            chains
                .entry(id)
                .or_insert_with(|| {
                    order.push(id);
                    Vec::new()
                })
                .push(entry);
        }
        let chains = order.into_iter().filter_map(|id| chains.remove(&id));
        let mut round = Round::default();
        for r in join_all(chains.map(|chain| self.deliver_chain(chain))).await {
            round.merge(r);
        }
        if let Err(e) = self.sink.flush().await {
            tracing::warn!(error = %e, "sink flush failed; the round will be sent again");
            return Round {
                stuck: true,
                ..Round::default()
            };
        }
        round
    }

    /// One conversation's entries, strictly in order: a message still failing after its
    /// retries holds back everything after it until the next round.
    async fn deliver_chain(&self, chain: Vec<Outbound>) -> Round {
        let mut round = Round::default();
        for entry in chain {
            let mut record = entry.record.clone();
            for message in &entry.pending {
                match self.send_with_retry(&record, message).await {
                    Delivery::Delivered => {}
                    Delivery::Failed(why) => {
                        tracing::warn!(message = %message.id, %why, "outbound message failed for good");
                        round.failed.push(FailedRecord {
                            account: record.account.clone(),
                            to: record.to.clone(),
                            message: message.clone(),
                            error: why,
                        });
                    }
                    Delivery::Retry(why) => {
                        tracing::warn!(message = %message.id, %why, "outbound message still failing; will retry");
                        round.stuck = true;
                        if record.sent > entry.record.sent {
                            round.progress.push((entry.key, record));
                        }
                        return round;
                    }
                }
                record.sent += 1;
            }
            round.done.push(entry.key);
        }
        round
    }

    async fn send_with_retry(&self, record: &OutboxRecord, message: &Message) -> Delivery {
        let mut attempt = 0;
        loop {
            let result = self.sink.send(record, message).await;
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
