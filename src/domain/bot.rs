//! A customer's message: recorded, passed to the person holding the conversation, answered by
//! the rules while the bot has it, or taken as a waiting customer's choice.

use super::conversation::{Conversation, Customer, State, Ticket};
use super::desk::Desk;
use super::lines::Lines;
use super::message::{Attachment, Author};
use super::reasons::Lined;
use super::turn::Turn;
use super::waiting;

impl Desk {
    pub(super) fn customer_message(
        &mut self,
        turn: &mut Turn<'_>,
        customer: Customer,
        text: String,
        payload: Option<String>,
        attachments: Vec<Attachment>,
    ) {
        let now = turn.now;
        let conv = self
            .conversations
            .find_or_open(customer, now, &turn.account.id);
        let parked = conv.state == State::Closed
            && conv.follow_up.as_ref().is_some_and(|f| f.message.is_none());
        if conv.state == State::Closed && !parked {
            conv.state = State::Bot;
            conv.episode += 1;
            conv.fallbacks = 0;
            conv.greeted = false;
            conv.rule = None;
        }
        let inbound = conv.heard(Author::Customer, text, payload, attachments, now);
        let (text, payload) = (inbound.text.clone(), inbound.payload.clone());
        let id = inbound.id;
        if let State::WithAgent { heard_at, .. } = &mut conv.state {
            *heard_at = Some(now);
        }
        if let Some(outside) = &mut conv.taken_outside {
            outside.active_at = now;
        }
        // A person holding it is shown the message (and the bot stays silent, below).
        turn.heard(conv, inbound);
        let mut freed = false;
        match &conv.state {
            // Someone answers outside Baton: kept, and the bot stays silent.
            State::Bot if conv.taken_outside.is_some() => {}
            State::Bot => {
                conv.bot_since.get_or_insert(now);
                bot_turn(&mut self.lines, conv, turn, &text, payload.as_deref());
            }
            State::Queued(_) | State::Offered { .. } => {
                let (lines, seats) = (&mut self.lines, &mut self.seats);
                freed = waiting::choice(lines, seats, conv, turn, payload.as_deref());
            }
            State::Closed if parked => waiting::message_left(conv, turn, id),
            // Held: kept for the agent, and the bot stays silent.
            _ => {}
        }
        turn.save(conv);
        if freed || matches!(conv.state, State::Queued(_)) {
            self.route(turn);
        }
    }
}

/// The rules answer a customer the bot has: a reply, an escalation to the line, a close, or
/// (understood nothing too often) the bot gives up and escalates.
fn bot_turn(
    lines: &mut Lines,
    conv: &mut Conversation,
    turn: &mut Turn<'_>,
    text: &str,
    payload: Option<&str>,
) {
    let bot = &turn.account.rules.bot;
    let first = !conv.greeted;
    if first {
        conv.greeted = true;
        turn.say(conv, &bot.greeting, None, &[]);
    }
    match turn.account.rules.evaluate(text, payload) {
        Some(rule) => {
            conv.fallbacks = 0;
            conv.rule = Some(rule.name.clone());
            if let Some(esc) = &rule.escalate {
                let mut ticket = Ticket::new(&esc.reason, esc.priority, turn.now, turn.now);
                ticket.skills = esc.skills.clone();
                let place = lines.line_up(conv, ticket, turn.account);
                if let Some(reply) = &rule.reply {
                    turn.say(conv, reply, Some(place), &rule.quick_replies);
                }
                waiting::queued(lines, conv, turn, place);
            } else {
                if let Some(reply) = &rule.reply {
                    turn.say(conv, reply, None, &rule.quick_replies);
                }
                if rule.close {
                    conv.state = State::Closed;
                    conv.bot_since = None;
                }
            }
        }
        // The opening message that matches nothing gets the greeting alone.
        None if first => {}
        None => {
            conv.fallbacks += 1;
            if conv.fallbacks >= bot.max_fallbacks {
                turn.say(conv, &bot.stuck, None, &[]);
                // Stuck: to the line with no rule's say.
                let ticket = Ticket::lined(Lined::BotStuck, 0, turn.now, turn.now);
                let place = lines.line_up(conv, ticket, turn.account);
                waiting::queued(lines, conv, turn, place);
            } else {
                turn.say(conv, &bot.fallback, None, &[]);
            }
        }
    }
}
