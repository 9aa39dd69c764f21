//! Timeouts: the one deadline a conversation's state makes next, and what happens when it
//! comes due.
//!
//! Every conversation holds at most one deadline in the scheduler's index: the earliest its
//! state makes ([`due`]). After every input the desk re-computes it for each conversation the
//! input changed and says how the index must move (`Effect::Schedule`, written in the same
//! batch as the change). When a deadline fires, the desk decides from the state at that moment
//! what it means: one the conversation has moved past does nothing but re-arm the right one.

use super::agent::AgentId;
use super::conversation::{Conversation, State, Ticket};
use super::desk::Desk;
use super::effect::{AgentEvent, Effect, Timer};
use super::handoff::introduced;
use super::hours::Hours;
use super::ids::{ConversationId, Timestamp};
use super::reasons::{LetGo, Lined};
use super::turn::{Extra, Turn};
use super::waiting;
use crate::rules::Timeouts;
use std::time::Duration;

/// What comes due at a conversation's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The bot has had the customer this long unresolved: escalate (`bot_timeout`).
    BotUnresolved,
    /// Tell the queued customer their place again.
    QueueUpdate,
    /// Apologise and offer to keep waiting or leave a message (also: business hours ended).
    QueueMaxWait,
    /// The offer lapses; the next fit agent gets it.
    Offer,
    /// The agent who accepted has not written: remind them.
    FirstReply,
    /// Still nothing after twice the time: back in line with a higher priority.
    FirstReplyRequeue,
    /// The customer has been silent with the agent, or after an answer from outside Baton:
    /// hand back to the bot.
    CustomerIdle,
}

/// `d` after `at`.
pub(super) fn after(at: Timestamp, d: Duration) -> Timestamp {
    Timestamp(at.0.saturating_add(d.as_millis() as u64))
}

/// The next deadline `conv`'s state makes at `now`, and what it is for. May be `now` or
/// earlier (overdue). Outside business hours queue updates wait for the team to be back, and
/// the first apology is due at once.
pub fn due(
    conv: &Conversation,
    t: &Timeouts,
    hours: Option<&Hours>,
    now: Timestamp,
) -> Option<(Timestamp, Due)> {
    if let Some(outside) = conv.taken_outside {
        // Answered outside Baton: nothing escalates it; only the customer's silence ends it.
        let heard = match conv.state {
            State::WithAgent {
                since, heard_at, ..
            } => heard_at.unwrap_or(since),
            _ => outside.active_at,
        };
        let from = heard.max(outside.active_at);
        return Some((after(from, t.customer_idle), Due::CustomerIdle));
    }
    Some(match &conv.state {
        State::Bot => (after(conv.bot_since?, t.bot_unresolved), Due::BotUnresolved),
        State::Queued(ticket) => queued(ticket, t, hours, now),
        State::Offered { expires_at, .. } => (*expires_at, Due::Offer),
        State::WithAgent {
            since,
            replied,
            nudged,
            heard_at,
            ..
        } => match (replied, nudged) {
            (false, false) => (after(*since, t.agent_first_reply), Due::FirstReply),
            (false, true) => (
                after(*since, t.agent_first_reply.saturating_mul(2)),
                Due::FirstReplyRequeue,
            ),
            (true, _) => (
                after(heard_at.unwrap_or(*since), t.customer_idle),
                Due::CustomerIdle,
            ),
        },
        State::Closed => return None,
    })
}

fn queued(
    ticket: &Ticket,
    t: &Timeouts,
    hours: Option<&Hours>,
    now: Timestamp,
) -> (Timestamp, Due) {
    let told = ticket.told_at.unwrap_or(ticket.queued_at);
    let patience = ticket.patience_from.unwrap_or(ticket.queued_at);
    let (update, max_wait) = match hours {
        Some(h) if !h.is_open(now) => {
            let opens = h.opens_at(now);
            // Nobody is there: say so once at once, then again once they have been back a
            // while; no updates overnight.
            let max_wait = if ticket.apologies == 0 {
                now
            } else {
                after(opens, t.queue_max_wait).max(after(patience, t.queue_max_wait))
            };
            (opens.max(after(told, t.queue_update)), max_wait)
        }
        open => {
            let mut max_wait = after(patience, t.queue_max_wait);
            if let Some(closes) = open.and_then(|h| h.closes_at(now)) {
                max_wait = max_wait.min(closes);
            }
            (after(told, t.queue_update), max_wait)
        }
    };
    if max_wait <= update {
        (max_wait, Due::QueueMaxWait)
    } else {
        (update, Due::QueueUpdate)
    }
}

impl Desk {
    /// Re-computes the deadline of every conversation the step saves, and adds the moves of the
    /// scheduler's index to its effects (the saved snapshots carry the new deadline).
    pub(super) fn arm(&mut self, t: &mut Turn<'_>) {
        let mut saved: Vec<ConversationId> = Vec::new();
        for e in &t.effects {
            if let Effect::Save(c) = e {
                if !saved.contains(&c.id) {
                    saved.push(c.id);
                }
            }
        }
        for id in saved {
            let Some(conv) = self.conversations.get_mut(id) else {
                continue;
            };
            let timeouts = t.account.timeouts_for(conv.rule.as_deref());
            let next = due(conv, &timeouts, t.account.hours.as_ref(), t.now).map(|(at, _)| at);
            if next == conv.deadline {
                continue;
            }
            t.effects.push(Effect::Schedule {
                timer: Timer::Conversation(id),
                from: conv.deadline,
                to: next,
            });
            conv.deadline = next;
            for e in t.effects.iter_mut() {
                if let Effect::Save(c) = e {
                    if c.id == id {
                        c.deadline = next;
                    }
                }
            }
        }
    }

    /// The conversation's deadline `at` fired (the scheduler has already dropped it).
    pub(super) fn conversation_due(&mut self, t: &mut Turn<'_>, id: ConversationId, at: Timestamp) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        if conv.deadline == Some(at) {
            conv.deadline = None;
        }
        let now = t.now;
        let timeouts = t.account.timeouts_for(conv.rule.as_deref());
        let what = due(conv, &timeouts, t.account.hours.as_ref(), now)
            .filter(|(at, _)| *at <= now)
            .map(|(_, what)| what);
        let held = conv.held_by();
        let offered_to = match conv.state {
            State::Offered { agent, .. } => Some(agent),
            _ => None,
        };
        match (what, held, offered_to) {
            (Some(Due::Offer), _, Some(agent)) => self.offer_expired(t, agent, id),
            (Some(Due::FirstReply), Some(agent), _) => self.nudge(t, agent, id, &timeouts),
            (Some(Due::FirstReplyRequeue), Some(agent), _) => self.no_first_reply(t, agent, id),
            (Some(Due::CustomerIdle), Some(agent), _) => {
                self.let_go(t, agent, id, LetGo::CustomerIdle)
            }
            (Some(Due::CustomerIdle), None, _) => self.outside_idle(t, id),
            (Some(what @ (Due::BotUnresolved | Due::QueueUpdate | Due::QueueMaxWait)), _, _) => {
                self.bot_due(t, id, what, at)
            }
            // Stale: the state moved on. Saved so that the right deadline is armed.
            _ => t.save(conv),
        }
    }

    /// A deadline the bot answers: escalate, or tell a queued customer where they stand. An
    /// escalation is queued as of the deadline `at`, so after a restart conversations whose
    /// deadlines passed meanwhile stand in line in the order they should have joined it.
    fn bot_due(&mut self, t: &mut Turn<'_>, id: ConversationId, what: Due, at: Timestamp) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        match what {
            Due::BotUnresolved => {
                let ticket = Ticket::lined(Lined::BotTimeout, 0, at.min(t.now), t.now);
                let place = self.lines.line_up(conv, ticket, t.account);
                waiting::queued(&self.lines, conv, t, place);
            }
            Due::QueueMaxWait => waiting::apologise(&self.lines, conv, t),
            _ => waiting::queue_update(&self.lines, &self.seats, conv, t),
        }
        t.save(conv);
        if matches!(conv.state, State::Queued(_)) && what == Due::BotUnresolved {
            self.route(t);
        }
    }

    /// `agent_first_reply`: the agent is reminded, and told when the conversation goes back in
    /// line if it still has not written.
    fn nudge(&mut self, t: &mut Turn<'_>, agent: AgentId, id: ConversationId, timeouts: &Timeouts) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let State::WithAgent { since, nudged, .. } = &mut conv.state else {
            return;
        };
        *nudged = true;
        let requeue_at = after(*since, timeouts.agent_first_reply.saturating_mul(2));
        t.save(conv);
        let conversation = id;
        t.notify(
            agent,
            AgentEvent::Nudge {
                conversation,
                requeue_at,
            },
        );
    }

    /// Twice `agent_first_reply` and the agent still has not written: the conversation goes
    /// back in line, one priority level higher, ahead of newer ones; the agent is not offered
    /// it again first; the bot tells the customer.
    fn no_first_reply(&mut self, t: &mut Turn<'_>, agent: AgentId, id: ConversationId) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let name = introduced(conv, &self.seats);
        let State::WithAgent {
            since, priority, ..
        } = conv.state
        else {
            return;
        };
        let priority = priority.saturating_add(1).min(9);
        let ticket = Ticket::lined(Lined::NoFirstReply, priority, since, t.now);
        conv.epoch += 1;
        conv.declined = vec![agent];
        let place = self.lines.line_up(conv, ticket, t.account);
        let requeued = &t.account.rules.waiting.requeued;
        t.say_with(conv, requeued, Some(place), &[], Extra::agent(&name));
        t.save(conv);
        self.hold_ended(t, agent, id, LetGo::NoFirstReply);
    }
}

#[cfg(test)]
mod tests;
