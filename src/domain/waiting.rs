//! Customers waiting in line: told their place when they join, queue updates with an estimate,
//! the apology and choice when the wait runs long or nobody is working, and the message left
//! for a person to follow up.

use super::conversation::{Conversation, FollowUp, State};
use super::effect::AgentEvent;
use super::estimate::phrase;
use super::ids::MessageId;
use super::lines::{Lines, Place};
use super::reasons::Withdrawn;
use super::seats::Seats;
use super::turn::{Extra, Turn};
use crate::rules;

/// The quick-reply payload for "keep waiting".
pub const KEEP_WAITING: &str = "baton:keep-waiting";
/// The quick-reply payload for "leave a message".
pub const LEAVE_MESSAGE: &str = "baton:leave-message";

/// Tells a customer just put in line where they stand; outside business hours, also that
/// nobody is there and what they can do.
pub(super) fn queued(lines: &Lines, conv: &mut Conversation, turn: &mut Turn<'_>, place: Place) {
    turn.say(conv, &turn.account.rules.bot.queued, Some(place), &[]);
    if !turn.account.is_open(turn.now) {
        apologise(lines, conv, turn);
    }
}

/// `queue_update`: the customer's place in line and, if there is anything to go on, how long
/// that may take.
pub(super) fn queue_update(
    lines: &Lines,
    seats: &Seats,
    conv: &mut Conversation,
    turn: &mut Turn<'_>,
) {
    let waiting = &turn.account.rules.waiting;
    let place = lines.place(conv);
    match place.and_then(|p| seats.estimate(&conv.account, p.position)) {
        Some(ms) => {
            let extra = Extra {
                wait: Some(phrase(ms)),
                ..Extra::default()
            };
            turn.say_with(conv, &waiting.update, place, &[], extra);
        }
        None => turn.say(conv, &waiting.unknown_wait, place, &[]),
    }
    if let State::Queued(t) = &mut conv.state {
        t.told_at = Some(turn.now);
    }
}

/// `queue_max_wait` passed, or the customer was queued outside business hours: an apology
/// (with the hours, if closed) and the choice to keep waiting or leave a message.
pub(super) fn apologise(lines: &Lines, conv: &mut Conversation, turn: &mut Turn<'_>) {
    let waiting = &turn.account.rules.waiting;
    let quick = [
        rules::QuickReply {
            label: waiting.keep_waiting_label.clone(),
            payload: KEEP_WAITING.to_owned(),
        },
        rules::QuickReply {
            label: waiting.leave_message_label.clone(),
            payload: LEAVE_MESSAGE.to_owned(),
        },
    ];
    let place = lines.place(conv);
    match turn.account.hours.as_ref() {
        Some(hours) if !hours.is_open(turn.now) => {
            let said = hours.describe();
            let extra = Extra {
                hours: Some(&said),
                ..Extra::default()
            };
            turn.say_with(conv, &waiting.after_hours, place, &quick, extra);
        }
        _ => turn.say(conv, &waiting.apology, place, &quick),
    }
    if let State::Queued(t) = &mut conv.state {
        t.apologies += 1;
        t.patience_from = Some(turn.now);
        t.told_at = Some(turn.now);
    }
}

/// A waiting customer's message: tapping "keep waiting" or "leave a message" is answered;
/// anything else is kept for the agent. Leaving a message while an agent is being offered the
/// conversation withdraws the offer; returns whether that freed the agent.
pub(super) fn choice(
    lines: &mut Lines,
    seats: &mut Seats,
    conv: &mut Conversation,
    turn: &mut Turn<'_>,
    payload: Option<&str>,
) -> bool {
    let waiting = &turn.account.rules.waiting;
    let offered_to = match conv.state {
        State::Offered { agent, .. } => Some(agent),
        _ => None,
    };
    match payload {
        Some(KEEP_WAITING) => {
            // Being offered to someone: the front of the line.
            let front = Place {
                position: 1,
                size: lines.len(&conv.account) + 1,
            };
            let place = lines.place(conv).or(offered_to.map(|_| front));
            turn.say(conv, &waiting.keep_waiting, place, &[]);
            if let State::Queued(t) = &mut conv.state {
                t.patience_from = Some(turn.now);
                t.told_at = Some(turn.now);
            }
        }
        Some(LEAVE_MESSAGE) => {
            lines.leave(&conv.account, conv.id);
            conv.state = State::Closed;
            conv.follow_up = Some(FollowUp {
                since: turn.now,
                message: None,
            });
            turn.say(conv, &waiting.leave_message, None, &[]);
            if let Some(agent) = offered_to {
                let why = Withdrawn::CustomerLeft;
                let conversation = conv.id;
                turn.notify(agent, AgentEvent::OfferWithdrawn { conversation, why });
                seats.unload(agent, turn.now);
                return true;
            }
        }
        _ => {}
    }
    false
}

/// The message a customer left for follow-up: kept, and acknowledged once. The next one opens
/// a new episode with the bot (the follow-up stays flagged until a person takes it).
pub(super) fn message_left(conv: &mut Conversation, turn: &mut Turn<'_>, id: MessageId) {
    if let Some(f) = &mut conv.follow_up {
        f.message = Some(id);
    }
    turn.say(conv, &turn.account.rules.waiting.message_taken, None, &[]);
}
