//! Baton's Prometheus metrics: one [`Metrics`] handle, cheap to clone, that registers every
//! family once and is called with typed methods where things happen (the engine, the HTTP
//! handlers, the committer, the outbox runners, the accept loop).
//!
//! Nothing here carries message text, customer or conversation ids: label values are closed
//! sets (`labels.rs`), plus account ids and rule names, which come from the configuration. So
//! `GET /metrics` needs no token. The hot path (a DM in, its flush, its reply) touches only
//! handles resolved when the handle is built: atomics, no allocation, no lock of our own.
//! [`Metrics::disabled`] (`[metrics] enabled = false`) makes every call a branch on `None`.
//!
//! Gauges of the engine's state (conversations by state, queues, agents by presence,
//! deadlines pending) are set from a cheap engine query at scrape time ([`Census`]), not per
//! DM; the outbox's oldest undelivered age is kept as a time and turned into an age there too.

pub mod labels;
mod register;

pub use labels::*;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Seconds = Gauge<f64, AtomicU64>;
type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The metrics of one daemon; `Default` is [`Metrics::disabled`].
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Inner>>);

/// The engine's state at a scrape: counted by the engine from what it holds in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Census {
    /// Conversations in memory by state, in [`ConversationState::ALL`]'s order.
    pub conversations: [u64; 5],
    /// Per account: customers in line and how long the first has waited.
    pub queues: Vec<QueueCensus>,
    /// Agents by presence, in [`PresenceLabel::ALL`]'s order.
    pub agents: [u64; 3],
    pub deadlines_pending: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueCensus {
    pub account: String,
    pub length: u64,
    pub oldest_wait: Duration,
}

struct Inner {
    registry: Registry,
    /// Accepted and duplicate DMs per channel, resolved up front (the hot path).
    dm_taken: [[Counter; 2]; 2],
    dms: Family<DmLabels, Counter>,
    ack: [Histogram; 2],
    flush: Histogram,
    flush_group: Histogram,
    apply: Histogram,
    barrier: Histogram,
    journal_bytes: Gauge,
    bot_replies: Counter,
    rule_matches: Family<RuleLabels, Counter>,
    fallbacks: Counter,
    escalations: Family<ReasonLabels, Counter>,
    conversations: Family<StateLabels, Gauge>,
    queue_length: Family<AccountLabels, Gauge>,
    queue_oldest: Family<AccountLabels, Seconds>,
    queue_wait: Histogram,
    offers: Family<OfferLabels, Counter>,
    handoffs: Counter,
    releases: Family<ReleaseLabels, Counter>,
    contained: Counter,
    agents: Family<PresenceLabels, Gauge>,
    agent_sockets: Gauge,
    awaiting_ack: Gauge,
    outbox_depth: [Gauge; 2],
    outbox_oldest: [Seconds; 2],
    /// When the oldest message not yet delivered was created (ms since the epoch; 0: none).
    outbox_oldest_at: [AtomicU64; 2],
    sends: [[Counter; 3]; 2],
    retries: [Counter; 2],
    deadlines_pending: Gauge,
    lateness: Histogram,
    reloads: Family<ReloadLabels, Counter>,
    http_refused: Family<CapLabels, Counter>,
}

fn index(channel: ChannelLabel) -> usize {
    match channel {
        ChannelLabel::Webhook => 0,
        ChannelLabel::Twitter => 1,
    }
}

impl Metrics {
    /// Every family registered, at zero.
    pub fn enabled() -> Metrics {
        Metrics(Some(Arc::new(Inner::new())))
    }

    /// Every call does nothing and `/metrics` is not served.
    pub fn disabled() -> Metrics {
        Metrics(None)
    }

    pub fn new(enabled: bool) -> Metrics {
        if enabled {
            Metrics::enabled()
        } else {
            Metrics::disabled()
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// The text exposition of every family, with ages computed against `now_ms` (ms since the
    /// epoch); `None` when disabled.
    pub fn encode(&self, now_ms: u64) -> Option<String> {
        let m = self.0.as_ref()?;
        for i in 0..2 {
            let at = m.outbox_oldest_at[i].load(Ordering::Relaxed);
            let age = if at == 0 {
                0
            } else {
                now_ms.saturating_sub(at)
            };
            m.outbox_oldest[i].set(age as f64 / 1000.0);
        }
        let mut text = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail; an error would be the crate's own bug.
        encode(&mut text, &m.registry).ok()?;
        Some(text)
    }

    /// An inbound DM taken by the engine: accepted, or a redelivery.
    pub fn dm(&self, channel: ChannelLabel, outcome: DmOutcome) {
        let Some(m) = &self.0 else { return };
        match outcome {
            DmOutcome::Accepted => {
                m.dm_taken[index(channel)][0].inc();
            }
            DmOutcome::Duplicate => {
                m.dm_taken[index(channel)][1].inc();
            }
            DmOutcome::Refused => m.dms_refused(channel, RefusalReason::None),
        }
    }

    /// An inbound DM refused before or by the engine.
    pub fn dm_refused(&self, channel: ChannelLabel, reason: RefusalReason) {
        if let Some(m) = &self.0 {
            m.dms_refused(channel, reason);
        }
    }

    /// From a webhook request's arrival to its acknowledgement (accepted or duplicate).
    pub fn acked(&self, channel: ChannelLabel, took: Duration) {
        if let Some(m) = &self.0 {
            m.ack[index(channel)].observe(took.as_secs_f64());
        }
    }

    /// One group commit: how long its flush took and how many callers shared it.
    pub fn flushed(&self, took: Duration, waiters: usize) {
        if let Some(m) = &self.0 {
            m.flush.observe(took.as_secs_f64());
            m.flush_group.observe(waiters as f64);
        }
    }

    /// One move of written records into sled, off the acknowledgements' path.
    pub fn applied(&self, took: Duration) {
        if let Some(m) = &self.0 {
            m.apply.observe(took.as_secs_f64());
        }
    }

    /// One store barrier: sled made durable, the journal below it released.
    pub fn barrier(&self, took: Duration) {
        if let Some(m) = &self.0 {
            m.barrier.observe(took.as_secs_f64());
        }
    }

    /// Bytes in the journal's segments not yet released by a barrier: the most a crash replays
    /// (it replays only what came after the last barrier).
    pub fn journal_bytes(&self, bytes: u64) {
        if let Some(m) = &self.0 {
            m.journal_bytes
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
    }

    pub fn bot_replies(&self, n: u64) {
        if let (Some(m), true) = (&self.0, n > 0) {
            m.bot_replies.inc_by(n);
        }
    }

    /// The counter of one rule's matches; callers keep it (one lookup per rule name).
    pub fn rule_counter(&self, rule: &str) -> Option<Counter> {
        let m = self.0.as_ref()?;
        let labels = RuleLabels {
            rule: rule.to_owned(),
        };
        Some(m.rule_matches.get_or_create_owned(&labels))
    }

    pub fn fallback(&self) {
        if let Some(m) = &self.0 {
            m.fallbacks.inc();
        }
    }

    pub fn escalation(&self, reason: EscalationReason) {
        if let Some(m) = &self.0 {
            m.escalations.get_or_create(&ReasonLabels { reason }).inc();
        }
    }

    /// A conversation left the line for an agent after waiting `waited`.
    pub fn queue_wait(&self, waited: Duration) {
        if let Some(m) = &self.0 {
            m.queue_wait.observe(waited.as_secs_f64());
        }
    }

    pub fn offer(&self, outcome: OfferOutcome) {
        if let Some(m) = &self.0 {
            m.offers.get_or_create(&OfferLabels { outcome }).inc();
        }
    }

    pub fn handoff(&self) {
        if let Some(m) = &self.0 {
            m.handoffs.inc();
        }
    }

    pub fn release(&self, kind: ReleaseKind) {
        if let Some(m) = &self.0 {
            m.releases.get_or_create(&ReleaseLabels { kind }).inc();
        }
    }

    /// An episode closed with no person ever involved.
    pub fn contained(&self) {
        if let Some(m) = &self.0 {
            m.contained.inc();
        }
    }

    /// An agent socket opened (`true`) or closed.
    pub fn agent_socket(&self, open: bool) {
        if let Some(m) = &self.0 {
            if open {
                m.agent_sockets.inc();
            } else {
                m.agent_sockets.dec();
            }
        }
    }

    /// Events kept for agents and not acknowledged yet: `delta` more (or fewer).
    pub fn awaiting_ack(&self, delta: i64) {
        if let Some(m) = &self.0 {
            m.awaiting_ack.inc_by(delta);
        }
    }

    /// How many turns a channel's outbox runner holds undelivered.
    pub fn outbox_depth(&self, channel: ChannelLabel, depth: usize) {
        if let Some(m) = &self.0 {
            m.outbox_depth[index(channel)].set(i64::try_from(depth).unwrap_or(i64::MAX));
        }
    }

    /// When the oldest message a channel's outbox has not delivered was created (ms since the
    /// epoch; `None`: nothing undelivered). Its age is computed at each scrape.
    pub fn outbox_oldest(&self, channel: ChannelLabel, oldest_ms: Option<u64>) {
        if let Some(m) = &self.0 {
            m.outbox_oldest_at[index(channel)].store(oldest_ms.unwrap_or(0), Ordering::Relaxed);
        }
    }

    pub fn send(&self, channel: ChannelLabel, result: SendResult) {
        if let Some(m) = &self.0 {
            let r = match result {
                SendResult::Delivered => 0,
                SendResult::Retried => 1,
                SendResult::Failed => 2,
            };
            m.sends[index(channel)][r].inc();
        }
    }

    /// One more attempt at a message a sink asked to try again.
    pub fn retry(&self, channel: ChannelLabel) {
        if let Some(m) = &self.0 {
            m.retries[index(channel)].inc();
        }
    }

    /// A deadline handled `late` after it was due.
    pub fn deadline_fired(&self, late: Duration) {
        if let Some(m) = &self.0 {
            m.lateness.observe(late.as_secs_f64());
        }
    }

    /// A configuration reload, taken or refused.
    pub fn reload(&self, result: ReloadResult) {
        if let Some(m) = &self.0 {
            m.reloads.get_or_create(&ReloadLabels { result }).inc();
        }
    }

    /// A connection or an upgrade refused by an `[http]` cap.
    pub fn http_refused(&self, cap: HttpCap) {
        if let Some(m) = &self.0 {
            m.http_refused.get_or_create(&CapLabels { cap }).inc();
        }
    }

    /// The engine's state, counted at a scrape.
    pub fn census(&self, census: &Census) {
        let Some(m) = &self.0 else { return };
        for (state, n) in ConversationState::ALL.iter().zip(census.conversations) {
            let g = m
                .conversations
                .get_or_create(&StateLabels { state: *state });
            g.set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        for (presence, n) in PresenceLabel::ALL.iter().zip(census.agents) {
            let labels = PresenceLabels {
                presence: *presence,
            };
            let g = m.agents.get_or_create(&labels);
            g.set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        m.queue_length.clear();
        m.queue_oldest.clear();
        for q in &census.queues {
            let labels = AccountLabels {
                account: q.account.clone(),
            };
            let length = i64::try_from(q.length).unwrap_or(i64::MAX);
            m.queue_length.get_or_create(&labels).set(length);
            let oldest = q.oldest_wait.as_secs_f64();
            m.queue_oldest.get_or_create(&labels).set(oldest);
        }
        let pending = i64::try_from(census.deadlines_pending).unwrap_or(i64::MAX);
        m.deadlines_pending.set(pending);
    }
}

impl Inner {
    fn dms_refused(&self, channel: ChannelLabel, reason: RefusalReason) {
        let labels = DmLabels {
            channel,
            outcome: DmOutcome::Refused,
            reason,
        };
        self.dms.get_or_create(&labels).inc();
    }
}

impl From<crate::domain::Channel> for ChannelLabel {
    fn from(c: crate::domain::Channel) -> ChannelLabel {
        match c {
            crate::domain::Channel::Webhook => ChannelLabel::Webhook,
            crate::domain::Channel::Twitter => ChannelLabel::Twitter,
        }
    }
}

#[cfg(test)]
mod tests;
