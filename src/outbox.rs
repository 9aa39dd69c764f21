//! Drains a channel's persisted outbox to its sink: in order per conversation, at least once.
//!
//! One runner per channel. It reads the oldest entries, sends each conversation's messages in
//! order (different conversations concurrently), retries transient failures with exponential
//! backoff and jitter, sets aside what failed for good, and removes what was delivered. An
//! entry is removed only after the sink confirmed it, so a crash resends rather than loses.

use crate::domain::{Channel, ConversationId};
use crate::shutdown::Shutdown;
use crate::store::{Outbound, OutboxKey, Store};
use futures::future::{join_all, BoxFuture};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

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
    fn send<'a>(&'a self, entry: &'a Outbound) -> BoxFuture<'a, Delivery>;

    /// Called after a batch; an error means nothing of the batch counts as delivered.
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
    pub channel: Channel,
    pub sink: Arc<dyn Sink>,
    /// Notified when new entries are durable.
    pub ready: Arc<Notify>,
}

#[derive(Default)]
struct Round {
    delivered: Vec<OutboxKey>,
    failed: Vec<(OutboxKey, Outbound, String)>,
    stuck: bool,
}

impl Outbox {
    pub async fn run(self, mut shutdown: Shutdown) {
        loop {
            let page = match self.store.outbox(self.channel, PAGE) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "outbox read failed");
                    Vec::new()
                }
            };
            if page.is_empty() {
                tokio::select! {
                    _ = self.ready.notified() => continue,
                    _ = shutdown.wait() => return,
                }
            }
            let round = self.deliver(page).await;
            let settled = self.store.outbox_settle(&round.delivered, &round.failed);
            if let Err(e) = settled {
                tracing::error!(error = %e, "outbox settle failed");
            }
            if shutdown.is_triggered() {
                return;
            }
            if round.stuck {
                tokio::select! {
                    _ = tokio::time::sleep(ROUND_DELAY) => {}
                    _ = shutdown.wait() => return,
                }
            }
        }
    }

    async fn deliver(&self, page: Vec<(OutboxKey, Outbound)>) -> Round {
        let mut order: Vec<ConversationId> = Vec::new();
        let mut chains: HashMap<ConversationId, Vec<(OutboxKey, Outbound)>> = HashMap::new();
        for (key, entry) in page {
            let id = entry.message.id.conversation;
            chains.entry(id).or_insert_with(|| {
                order.push(id);
                Vec::new()
            });
            chains.entry(id).or_default().push((key, entry));
        }
        let chains = order.into_iter().filter_map(|id| chains.remove(&id));
        let results = join_all(chains.map(|chain| self.deliver_chain(chain))).await;
        let mut round = Round::default();
        for r in results {
            round.delivered.extend(r.delivered);
            round.failed.extend(r.failed);
            round.stuck |= r.stuck;
        }
        if let Err(e) = self.sink.flush().await {
            tracing::warn!(error = %e, "sink flush failed; the batch will be sent again");
            round.delivered.clear();
            round.stuck = true;
        }
        round
    }

    /// One conversation's messages, strictly in order: a message still failing after its
    /// retries holds back the ones after it until the next round.
    async fn deliver_chain(&self, chain: Vec<(OutboxKey, Outbound)>) -> Round {
        let mut round = Round::default();
        for (key, entry) in chain {
            match self.send_with_retry(&entry).await {
                Delivery::Delivered => round.delivered.push(key),
                Delivery::Failed(why) => {
                    tracing::warn!(message = %entry.message.id, %why, "outbound message failed for good");
                    round.failed.push((key, entry, why));
                }
                Delivery::Retry(why) => {
                    tracing::warn!(message = %entry.message.id, %why, "outbound message still failing; will retry");
                    round.stuck = true;
                    break;
                }
            }
        }
        round
    }

    async fn send_with_retry(&self, entry: &Outbound) -> Delivery {
        let mut attempt = 0;
        loop {
            let result = self.sink.send(entry).await;
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
