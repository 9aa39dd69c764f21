//! A person answered the customer outside Baton (the brand's account wrote from another app).
//! The answer goes into the transcript (author `Outside`, never sent: the platform already
//! delivered it), so agents and exports see the whole exchange. The bot keeps quiet in that
//! conversation (no replies, no fallbacks, no timeout escalating it) until an agent lets go of
//! it or the customer has been idle for `customer_idle`; then it is the bot's again.

use super::conversation::{Customer, Outside, State};
use super::desk::Desk;
use super::effect::AgentEvent;
use super::ids::ConversationId;
use super::message::{Attachment, Author};
use super::reasons::Withdrawn;
use super::turn::Turn;

impl Desk {
    /// An answer from outside. A conversation in line leaves it (an offer is withdrawn): a
    /// person is already answering. One a Baton agent holds stays theirs, and they see the
    /// answer as it comes.
    pub(super) fn taken_outside(
        &mut self,
        t: &mut Turn<'_>,
        customer: Customer,
        text: String,
        attachments: Vec<Attachment>,
    ) {
        let now = t.now;
        let conv = self
            .conversations
            .find_or_open(customer, now, &t.account.id);
        let mut freed = false;
        match conv.state {
            State::WithAgent { .. } => {}
            State::Queued(_) => self.lines.leave(&conv.account, conv.id),
            State::Offered { agent, .. } => {
                self.lines.leave(&conv.account, conv.id);
                self.seats.unload(agent, now);
                let (conversation, why) = (conv.id, Withdrawn::TakenOutside);
                t.notify(agent, AgentEvent::OfferWithdrawn { conversation, why });
                freed = true;
            }
            State::Closed => {
                conv.episode += 1;
                conv.greeted = false;
                conv.rule = None;
            }
            State::Bot => {}
        }
        if conv.held_by().is_none() {
            // The person outside has it: pending bot messages of the old epoch are not sent.
            if conv.taken_outside.is_none() {
                conv.epoch += 1;
            }
            conv.state = State::Bot;
            conv.fallbacks = 0;
            conv.bot_since = None;
            conv.follow_up = None;
        }
        match &mut conv.taken_outside {
            Some(o) => o.active_at = now,
            None => {
                conv.taken_outside = Some(Outside {
                    since: now,
                    active_at: now,
                })
            }
        }
        let answer = conv.heard(Author::Outside, text, None, attachments, now);
        t.heard(conv, answer);
        t.save(conv);
        if freed {
            self.route(t);
        }
    }

    /// The customer stayed idle after the answer from outside: the bot has them again, and
    /// says nothing until they write.
    pub(super) fn outside_idle(&mut self, t: &mut Turn<'_>, id: ConversationId) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        if conv.taken_outside.take().is_some() {
            conv.epoch += 1;
            conv.fallbacks = 0;
        }
        t.save(conv);
    }
}

#[cfg(test)]
mod tests;
