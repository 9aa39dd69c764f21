//! What the metrics count of the desk's work, read from the effects the engine already
//! carries out (the domain itself knows nothing of metrics): bot replies, rule matches and
//! fallbacks, escalations and time in line, offers, handoffs, releases, and episodes the bot
//! closed alone.
//!
//! A transition (into the line, out of it, closed) shows only against what the conversation
//! was before, and the desk changes conversations in place; so this keeps, per conversation
//! not closed, since when it is in line and whether a person had it this episode. An entry
//! goes when its conversation closes, so it follows open conversations, not history.

use crate::domain::{
    AgentEvent, Author, Conversation, ConversationId, Desk, Effect, Input, LetGo, State, Timestamp,
    Withdrawn,
};
use crate::metrics::{EscalationReason, Metrics, OfferOutcome, ReleaseKind};
use foldhash::HashMap;
use prometheus_client::metrics::counter::Counter;
use std::time::Duration;

#[derive(Default)]
pub(super) struct Measure {
    metrics: Metrics,
    tracks: HashMap<ConversationId, Track>,
    /// Each rule's counter, resolved once per name.
    rules: HashMap<String, Counter>,
}

#[derive(Default, Clone, Copy)]
struct Track {
    lined_at: Option<Timestamp>,
    person: bool,
}

/// A customer's conversation as the bot's turn found it.
pub(super) struct BotBefore {
    /// Whether the rules will read the message (the bot has the conversation, or it opens).
    evaluated: bool,
    /// Whether the message opens an episode (a new conversation, or a closed one reopens).
    opens: bool,
    fallbacks: u32,
}

impl Measure {
    /// Counts into `metrics` from now on; what the desk restored is tracked as it stands.
    pub fn new(metrics: Metrics, desk: &Desk) -> Measure {
        let mut m = Measure {
            metrics,
            ..Measure::default()
        };
        if m.metrics.is_enabled() {
            for c in desk.conversations() {
                if c.state != State::Closed {
                    m.tracks.insert(c.id, track_of(c));
                }
            }
        }
        m
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Before a customer's message goes to the desk: what the bot's turn will start from.
    pub fn before(
        &self,
        desk: &Desk,
        account: &crate::domain::AccountId,
        input: &Input,
    ) -> Option<BotBefore> {
        if !self.metrics.is_enabled() {
            return None;
        }
        let Input::CustomerMessage {
            channel, customer, ..
        } = input
        else {
            return None;
        };
        Some(match desk.find(account, *channel, customer) {
            None => BotBefore {
                evaluated: true,
                opens: true,
                fallbacks: 0,
            },
            Some(c) => {
                // A closed conversation whose customer left no message yet is parked: the
                // message is the one left, and the rules do not read it.
                let opens = c.state == State::Closed
                    && c.follow_up.as_ref().is_none_or(|f| f.message.is_some());
                BotBefore {
                    evaluated: opens || (c.state == State::Bot && c.taken_outside.is_none()),
                    opens,
                    fallbacks: if c.state == State::Bot {
                        c.fallbacks
                    } else {
                        0
                    },
                }
            }
        })
    }

    /// After the desk answered a customer's message: a rule matched, or the bot understood
    /// nothing.
    pub fn bot_turn(&mut self, before: Option<BotBefore>, effects: &[Effect]) {
        let Some(before) = before.filter(|b| b.evaluated) else {
            return;
        };
        let Some(id) = effects.iter().find_map(|e| match e {
            Effect::Record(m) => Some(m.id.conversation),
            _ => None,
        }) else {
            return;
        };
        if before.opens {
            // Tracked from its first message, so an episode the bot closes at once is seen
            // closing (`saved`).
            self.tracks.entry(id).or_default();
        }
        let Some(after) = effects.iter().rev().find_map(|e| match e {
            Effect::Save(c) if c.id == id => Some(c),
            _ => None,
        }) else {
            return;
        };
        if after.fallbacks > before.fallbacks {
            self.metrics.fallback();
        } else if let (0, Some(rule)) = (after.fallbacks, &after.rule) {
            let counter = match self.rules.get(rule) {
                Some(c) => Some(c),
                None => match self.metrics.rule_counter(rule) {
                    Some(c) => Some(&*self.rules.entry(rule.clone()).or_insert(c)),
                    None => None,
                },
            };
            if let Some(c) = counter {
                c.inc();
            }
        }
    }

    /// Every input's effects, as the engine writes them.
    pub fn effects(&mut self, effects: &[Effect], now: Timestamp) {
        if !self.metrics.is_enabled() {
            return;
        }
        let mut replies = 0;
        for effect in effects {
            match effect {
                Effect::Send { message, .. } if message.from == Author::Bot => replies += 1,
                Effect::Save(c) => self.saved(c, now),
                Effect::Notify { event, .. } => self.notified(event),
                _ => {}
            }
        }
        self.metrics.bot_replies(replies);
    }

    fn saved(&mut self, c: &Conversation, now: Timestamp) {
        let m = &self.metrics;
        if c.state == State::Closed {
            if let Some(before) = self.tracks.remove(&c.id) {
                if !before.person {
                    m.contained();
                }
            }
            return;
        }
        let track = self.tracks.entry(c.id).or_default();
        if let Some(ticket) = c.ticket() {
            if track.lined_at.is_none() {
                m.escalation(reason(&ticket.reason));
            }
            track.lined_at = Some(ticket.queued_at);
            track.person = true;
        } else {
            if let (Some(at), Some(_)) = (track.lined_at, c.held_by()) {
                m.queue_wait(Duration::from_millis(now.0.saturating_sub(at.0)));
                m.offer(OfferOutcome::Accepted);
            }
            track.lined_at = None;
            track.person |= c.held_by().is_some();
        }
    }

    fn notified(&self, event: &AgentEvent) {
        let m = &self.metrics;
        match event {
            AgentEvent::OfferWithdrawn { why, .. } => m.offer(match why {
                Withdrawn::Declined => OfferOutcome::Declined,
                Withdrawn::Timeout => OfferOutcome::Lapsed,
                _ => OfferOutcome::Withdrawn,
            }),
            AgentEvent::Assigned { .. } => m.handoff(),
            AgentEvent::Closed { why, .. } => match why {
                LetGo::Released => m.release(ReleaseKind::Agent),
                LetGo::CustomerIdle => m.release(ReleaseKind::CustomerIdle),
                _ => {}
            },
            _ => {}
        }
    }
}

fn track_of(c: &Conversation) -> Track {
    Track {
        lined_at: c.ticket().map(|t| t.queued_at),
        person: c.ticket().is_some() || c.held_by().is_some(),
    }
}

/// A ticket's reason: one of the desk's own, or else a rule's (its text is the rule's).
fn reason(text: &str) -> EscalationReason {
    match text {
        "bot_stuck" => EscalationReason::BotStuck,
        "bot_timeout" => EscalationReason::BotTimeout,
        "agent_gone" => EscalationReason::AgentGone,
        "transfer" => EscalationReason::Transfer,
        "no_first_reply" => EscalationReason::NoFirstReply,
        _ => EscalationReason::Rule,
    }
}
