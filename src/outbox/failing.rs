//! A channel's conversations whose messages keep failing: when each may be tried again, and
//! what the operator is told about them.
//!
//! A conversation whose message still fails after a round's quick retries waits before it is
//! tried again, once, the wait doubling from `FIRST_WAIT` up to the configured ceiling; a
//! delivery that goes through ends its wait, and a failing conversation getting through makes
//! the others due at once (the receiver is back), so recovery does not wait for the ceiling.
//! Order is not at stake here: a conversation that waits keeps every later turn of its own
//! behind the stuck one, as the runner always did.
//!
//! An outage is told once a minute at most, as one line for the channel (how much waits, for
//! how long, the last error), and once more when nothing is stuck any longer; each failed try
//! is only a `debug` line, so a receiver down for an hour does not flood the log.

use crate::domain::{Channel, ConversationId};
use foldhash::{HashMap, HashMapExt};
use std::time::Duration;
use tokio::time::Instant;

/// The wait after a conversation's first failed round.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// At most one summary line per channel this often while anything is failing.
pub(super) const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// How a conversation's turns are to be tried in this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Try {
    /// Not failing: the full quick retries.
    Fully,
    /// Failing and due: one attempt.
    Once,
    /// Failing and not due: held back as it is.
    Wait,
}

struct Conversation {
    since: Instant,
    rounds: u32,
    next: Instant,
}

pub(super) struct Failing {
    channel: Channel,
    ceiling: Duration,
    conversations: HashMap<ConversationId, Conversation>,
    last_error: String,
    /// The outage being told: when it began and when it was last summed up.
    told: Option<(Instant, Instant)>,
}

/// What waits on the channel, counted from the runner's stuck turns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Waiting {
    pub messages: usize,
    pub conversations: usize,
}

impl Failing {
    pub(super) fn new(channel: Channel, ceiling: Duration) -> Failing {
        Failing {
            channel,
            ceiling,
            conversations: HashMap::new(),
            last_error: String::new(),
            told: None,
        }
    }

    pub(super) fn try_of(&self, id: ConversationId, now: Instant) -> Try {
        match self.conversations.get(&id) {
            None => Try::Fully,
            Some(c) if c.next <= now => Try::Once,
            Some(_) => Try::Wait,
        }
    }

    /// The conversation's message failed again in a round: its next try waits longer.
    pub(super) fn failed(&mut self, id: ConversationId, why: &str, now: Instant) {
        let c = self.conversations.entry(id).or_insert(Conversation {
            since: now,
            rounds: 0,
            next: now,
        });
        c.rounds = c.rounds.saturating_add(1);
        c.next = now + wait(c.rounds, self.ceiling);
        self.last_error.clear();
        self.last_error.push_str(why);
    }

    /// Everything the conversation had went out. If it had been failing, the receiver is
    /// most likely back for everyone: the others waiting are due at once rather than at the
    /// end of waits that may have grown to the ceiling. Their rounds stay counted, so one
    /// that fails again waits as long as before.
    pub(super) fn delivered(&mut self, id: ConversationId, now: Instant) {
        if self.conversations.remove(&id).is_some() {
            for c in self.conversations.values_mut() {
                c.next = c.next.min(now);
            }
        }
    }

    /// After a round: a summary when one is due while anything waits, or the recovery line.
    pub(super) fn tell(&mut self, waiting: Waiting, now: Instant) {
        let channel = self.channel.as_str();
        if waiting.conversations == 0 {
            if let Some((began, _)) = self.told.take() {
                tracing::info!(
                    channel,
                    outage = %compact(now - began),
                    "outbound {channel}: recovered, nothing waiting"
                );
            }
            self.conversations.clear();
            return;
        }
        if self.conversations.is_empty() {
            // Held back by something other than a failing receiver (a sink's flush): its own
            // line said so.
            return;
        }
        let due = match self.told {
            None => true,
            Some((_, last)) => now.duration_since(last) >= SUMMARY_EVERY,
        };
        if !due {
            return;
        }
        let oldest = self
            .conversations
            .values()
            .map(|c| now.duration_since(c.since))
            .max()
            .unwrap_or_default();
        tracing::warn!(
            channel,
            waiting = waiting.messages,
            conversations = waiting.conversations,
            oldest_s = oldest.as_secs(),
            error = %self.last_error,
            "outbound {channel}: {} messages waiting in {} conversations, oldest {}, last error: {}",
            waiting.messages,
            waiting.conversations,
            compact(oldest),
            self.last_error
        );
        let began = self.told.map_or(now - oldest, |(began, _)| began);
        self.told = Some((began, now));
    }
}

/// The wait after `rounds` failed rounds: doubling from `FIRST_WAIT`, never above `ceiling`,
/// with a quarter of jitter below it so conversations that failed together spread out.
fn wait(rounds: u32, ceiling: Duration) -> Duration {
    let full = FIRST_WAIT
        .saturating_mul(2u32.saturating_pow(rounds.saturating_sub(1).min(20)))
        .min(ceiling);
    full.mul_f64(0.75 + fastrand::f64() / 4.0)
}

/// Whole seconds, written short: `45s`, `3m12s`, `2h0m5s`.
fn compact(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, min, sec) => format!("{min}m{sec}s"),
        (h, min, sec) => format!("{h}h{min}m{sec}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_the_ceiling_and_never_passes_it() {
        let ceiling = Duration::from_secs(300);
        for rounds in 1..40 {
            let w = wait(rounds, ceiling);
            let full = (FIRST_WAIT * 2u32.pow((rounds - 1).min(20))).min(ceiling);
            assert!(w <= full && w >= full.mul_f64(0.75), "{rounds}: {w:?}");
        }
        assert!(wait(100, Duration::from_millis(500)) <= Duration::from_millis(500));
    }

    #[test]
    fn ages_are_written_short() {
        let cases = [(0, "0s"), (45, "45s"), (192, "3m12s"), (7205, "2h0m5s")];
        for (secs, want) in cases {
            assert_eq!(compact(Duration::from_millis(secs * 1000 + 999)), want);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_conversation_waits_then_is_tried_once_and_a_delivery_ends_it() {
        let mut f = Failing::new(Channel::Webhook, Duration::from_secs(4));
        let id = ConversationId(7);
        let t0 = Instant::now();
        assert_eq!(f.try_of(id, t0), Try::Fully);
        f.failed(id, "HTTP 503", t0);
        assert_eq!(f.try_of(id, t0), Try::Wait);
        assert_eq!(f.try_of(id, t0 + FIRST_WAIT), Try::Once);
        let mut now = t0;
        for _ in 0..10 {
            f.failed(id, "HTTP 503", now);
            now += Duration::from_secs(4);
            assert_eq!(
                f.try_of(id, now),
                Try::Once,
                "the ceiling bounds every wait"
            );
        }
        f.delivered(id, now);
        assert_eq!(f.try_of(id, now), Try::Fully);
    }

    #[tokio::test(start_paused = true)]
    async fn one_failing_conversation_getting_through_makes_the_others_due() {
        let mut f = Failing::new(Channel::Webhook, Duration::from_secs(300));
        let (a, b, c) = (ConversationId(1), ConversationId(2), ConversationId(3));
        let t0 = Instant::now();
        for _ in 0..8 {
            f.failed(a, "HTTP 503", t0);
            f.failed(b, "HTTP 503", t0);
        }
        let later = t0 + Duration::from_secs(1);
        assert_eq!(f.try_of(b, later), Try::Wait, "b waits minutes");
        // A conversation that was never failing says nothing about the others.
        f.delivered(c, later);
        assert_eq!(f.try_of(b, later), Try::Wait);
        f.delivered(a, later);
        assert_eq!(f.try_of(b, later), Try::Once);
        // b fails again: its wait is as long as its rounds make it, not the first one.
        f.failed(b, "HTTP 503", later);
        assert_eq!(f.try_of(b, later + Duration::from_secs(60)), Try::Wait);
    }
}
