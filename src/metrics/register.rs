//! Every family registered once, with its name (units in it), help text and buckets, and the
//! handles the hot path uses resolved up front.

use super::*;
use prometheus_client::metrics::histogram::exponential_buckets;

impl Inner {
    pub(super) fn new() -> Inner {
        let mut r = Registry::default();
        let dms = Family::<DmLabels, Counter>::default();
        r.register(
            "baton_dms",
            "Inbound DMs by channel and outcome",
            dms.clone(),
        );
        let dm_taken = [ChannelLabel::Webhook, ChannelLabel::Twitter].map(|channel| {
            [DmOutcome::Accepted, DmOutcome::Duplicate].map(|outcome| {
                let reason = RefusalReason::None;
                dms.get_or_create_owned(&DmLabels {
                    channel,
                    outcome,
                    reason,
                })
            })
        });
        let ack = histograms(
            &mut r,
            "baton_webhook_ack_seconds",
            "From a channel's request arriving to its acknowledgement",
            || Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
        );
        let flush = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        r.register(
            "baton_store_flush_seconds",
            "One group commit's flush (the journal's fdatasync)",
            flush.clone(),
        );
        let flush_group = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        r.register(
            "baton_store_flush_group_waiters",
            "Callers acknowledged by one group commit's flush",
            flush_group.clone(),
        );
        let apply = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        r.register(
            "baton_store_apply_seconds",
            "One move of written records into sled, in the background (every 50 ms under load)",
            apply.clone(),
        );
        let barrier = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        r.register(
            "baton_store_barrier_seconds",
            "One store barrier that had work, in the background: sled made durable, the journal below it released",
            barrier.clone(),
        );
        let journal_bytes = Gauge::default();
        r.register(
            "baton_journal_bytes",
            "Bytes in the journal's segments not yet released by a barrier: the most a crash replays",
            journal_bytes.clone(),
        );
        let bot_replies = counter(&mut r, "baton_bot_replies", "Messages the bot sent");
        let rule_matches = Family::<RuleLabels, Counter>::default();
        r.register(
            "baton_rule_matches",
            "Customer messages a rule matched, by rule name",
            rule_matches.clone(),
        );
        let fallbacks = counter(
            &mut r,
            "baton_fallbacks",
            "Customer messages the bot did not understand",
        );
        let escalations = Family::<ReasonLabels, Counter>::default();
        r.register(
            "baton_escalations",
            "Conversations put in line for a person, by reason",
            escalations.clone(),
        );
        for reason in EscalationReason::ALL {
            let _ = escalations.get_or_create_owned(&ReasonLabels { reason: *reason });
        }
        let conversations = Family::<StateLabels, Gauge>::default();
        r.register(
            "baton_conversations",
            "Conversations in memory by state (at rest ones are not counted)",
            conversations.clone(),
        );
        for state in ConversationState::ALL {
            let _ = conversations.get_or_create_owned(&StateLabels { state: *state });
        }
        let queue_length = Family::<AccountLabels, Gauge>::default();
        r.register(
            "baton_queue_length",
            "Customers in line for a person, per account",
            queue_length.clone(),
        );
        let queue_oldest = Family::<AccountLabels, Seconds>::default();
        r.register(
            "baton_queue_oldest_wait_seconds",
            "How long the first customer in line has waited, per account",
            queue_oldest.clone(),
        );
        let queue_wait = Histogram::new(exponential_buckets(1.0, 2.0, 15));
        r.register(
            "baton_queue_wait_seconds",
            "Time in line before an agent took the conversation",
            queue_wait.clone(),
        );
        let offers = Family::<OfferLabels, Counter>::default();
        r.register(
            "baton_offers",
            "Offers to agents by how they ended",
            offers.clone(),
        );
        for outcome in OfferOutcome::ALL {
            let _ = offers.get_or_create_owned(&OfferLabels { outcome: *outcome });
        }
        let handoffs = counter(
            &mut r,
            "baton_handoffs",
            "Conversations an agent took from the bot or the line",
        );
        let releases = Family::<ReleaseLabels, Counter>::default();
        r.register(
            "baton_releases",
            "Conversations handed back to the bot",
            releases.clone(),
        );
        for kind in ReleaseKind::ALL {
            let _ = releases.get_or_create_owned(&ReleaseLabels { kind: *kind });
        }
        let contained = counter(
            &mut r,
            "baton_bot_contained",
            "Episodes closed with no person involved",
        );
        let agents = Family::<PresenceLabels, Gauge>::default();
        r.register(
            "baton_agents",
            "Agents by presence (offline: no socket)",
            agents.clone(),
        );
        for presence in PresenceLabel::ALL {
            let labels = PresenceLabels {
                presence: *presence,
            };
            let _ = agents.get_or_create_owned(&labels);
        }
        let agent_sockets = Gauge::default();
        r.register(
            "baton_agent_sockets",
            "Agent WebSockets open",
            agent_sockets.clone(),
        );
        let awaiting_ack = Gauge::default();
        r.register(
            "baton_agent_events_awaiting_ack",
            "Events sent to agents and not acknowledged yet (since start-up)",
            awaiting_ack.clone(),
        );
        let outbox_depth = gauges(
            &mut r,
            "baton_outbox_depth",
            "Turns the channel's outbox runner holds undelivered",
            Gauge::default,
        );
        let outbox_oldest = gauges(
            &mut r,
            "baton_outbox_oldest_undelivered_seconds",
            "Age of the oldest message the channel's outbox has not delivered",
            Seconds::default,
        );
        let sends = Family::<SendLabels, Counter>::default();
        r.register(
            "baton_sends",
            "Outgoing messages by channel and result",
            sends.clone(),
        );
        let sends = [ChannelLabel::Webhook, ChannelLabel::Twitter].map(|channel| {
            [
                SendResult::Delivered,
                SendResult::Retried,
                SendResult::Failed,
            ]
            .map(|result| sends.get_or_create_owned(&SendLabels { channel, result }))
        });
        let retries = family_by_channel(
            &mut r,
            "baton_send_retries",
            "Attempts again at a message the sink asked to retry",
        );
        let deadlines_pending = Gauge::default();
        r.register(
            "baton_scheduler_deadlines_pending",
            "Deadlines in the scheduler's index",
            deadlines_pending.clone(),
        );
        let lateness = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        r.register(
            "baton_scheduler_lateness_seconds",
            "How late a deadline was handled after it was due",
            lateness.clone(),
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        r.register(
            "baton_reloads",
            "Configuration reloads by result",
            reloads.clone(),
        );
        for result in ReloadResult::ALL {
            let _ = reloads.get_or_create_owned(&ReloadLabels { result: *result });
        }
        let http_refused = Family::<CapLabels, Counter>::default();
        r.register(
            "baton_http_refused",
            "Connections and agent upgrades refused by the [http] caps",
            http_refused.clone(),
        );
        for cap in HttpCap::ALL {
            let _ = http_refused.get_or_create_owned(&CapLabels { cap: *cap });
        }
        Inner {
            registry: r,
            dm_taken,
            dms,
            ack,
            flush,
            flush_group,
            apply,
            barrier,
            journal_bytes,
            bot_replies,
            rule_matches,
            fallbacks,
            escalations,
            conversations,
            queue_length,
            queue_oldest,
            queue_wait,
            offers,
            handoffs,
            releases,
            contained,
            agents,
            agent_sockets,
            awaiting_ack,
            outbox_depth,
            outbox_oldest,
            outbox_oldest_at: [AtomicU64::new(0), AtomicU64::new(0)],
            sends,
            retries,
            deadlines_pending,
            lateness,
            reloads,
            http_refused,
        }
    }
}

fn counter(r: &mut Registry, name: &str, help: &str) -> Counter {
    let c = Counter::default();
    r.register(name, help, c.clone());
    c
}

/// A histogram family by channel, with each channel's handle resolved.
fn histograms(r: &mut Registry, name: &str, help: &str, make: fn() -> Histogram) -> [Histogram; 2] {
    let family: HistogramFamily<ChannelLabels> = Family::new_with_constructor(make);
    r.register(name, help, family.clone());
    [ChannelLabel::Webhook, ChannelLabel::Twitter]
        .map(|channel| family.get_or_create_owned(&ChannelLabels { channel }))
}

/// A gauge family by channel, with each channel's handle resolved.
fn gauges<G>(r: &mut Registry, name: &str, help: &str, make: fn() -> G) -> [G; 2]
where
    G: prometheus_client::metrics::TypedMetric
        + prometheus_client::encoding::EncodeMetric
        + Clone
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let family: Family<ChannelLabels, G, fn() -> G> = Family::new_with_constructor(make);
    r.register(name, help, family.clone());
    [ChannelLabel::Webhook, ChannelLabel::Twitter]
        .map(|channel| family.get_or_create_owned(&ChannelLabels { channel }))
}

fn family_by_channel(r: &mut Registry, name: &str, help: &str) -> [Counter; 2] {
    let family = Family::<ChannelLabels, Counter>::default();
    r.register(name, help, family.clone());
    [ChannelLabel::Webhook, ChannelLabel::Twitter]
        .map(|channel| family.get_or_create_owned(&ChannelLabels { channel }))
}
