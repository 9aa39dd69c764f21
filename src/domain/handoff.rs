//! What agents do with conversations: accept (the Custom Profile switch), decline, let lapse,
//! write, transfer, hand back, resolve. Every change of who holds a conversation bumps its
//! epoch. Seating and routing are in `offers`.

use super::agent::AgentId;
use super::conversation::{Conversation, State, Ticket};
use super::desk::Desk;
use super::effect::{AgentEvent, Effect, TransferTo};
use super::ids::ConversationId;
use super::message::Author;
use super::reasons::{LetGo, Lined, Refusal, SetAway, Withdrawn};
use super::routing::RoutingNote;
use super::seats::Seats;
use super::turn::{Extra, Turn};
use crate::rules::limits::TEXT_MAX;

/// What an agent's action needs of the conversation: an offer of it to the agent, or the
/// agent holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Offer,
    Hold,
}

impl Desk {
    /// Why `agent` may not act on the conversation, if it may not.
    fn refusal(&self, agent: AgentId, id: ConversationId, needs: Needs) -> Option<Effect> {
        let mine = self.conversations.get(id).is_some_and(|c| match c.state {
            State::Offered { agent: a, .. } => needs == Needs::Offer && a == agent,
            State::WithAgent { agent: a, .. } => needs == Needs::Hold && a == agent,
            _ => false,
        });
        if mine {
            return None;
        }
        let (code, what) = match needs {
            Needs::Offer => (Refusal::NotOffered, "offered to"),
            Needs::Hold => (Refusal::NotAssigned, "assigned to"),
        };
        Some(refuse(
            agent,
            id,
            code,
            format!("conversation {id} is not {what} you"),
        ))
    }

    /// Refuses the action if `agent` may not take it; whether it did.
    fn refuses(&self, t: &mut Turn<'_>, agent: AgentId, id: ConversationId, needs: Needs) -> bool {
        let refused = self.refusal(agent, id, needs);
        let any = refused.is_some();
        t.effects.extend(refused);
        any
    }

    pub(super) fn accept(&mut self, t: &mut Turn<'_>, agent: AgentId, id: ConversationId) {
        if self.refuses(t, agent, id, Needs::Offer) {
            return;
        }
        let Some(profile) = self.seats.profile(agent).cloned() else {
            return;
        };
        self.seats.accepted(agent);
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let priority = conv.ticket().map_or(0, |t| t.priority);
        let first_name = first_name(&profile.name).to_owned();
        conv.state = State::WithAgent {
            agent,
            since: t.now,
            priority,
            replied: false,
            nudged: false,
            heard_at: None,
            name: first_name.clone(),
        };
        conv.epoch += 1;
        conv.declined.clear();
        // A person has it now: whatever they were owed is being dealt with.
        conv.follow_up = None;
        // The customer learns at once that a person is writing now, and who: signed with the
        // agent's own profile, under the new epoch.
        let announcement = &t.account.rules.waiting.announcement;
        let text = t.render(conv, announcement, None, Extra::agent(&first_name));
        let said = conv.say(Author::Agent, &profile, text, Vec::new(), t.now);
        t.send(conv, said);
        t.save(conv);
        t.notify(agent, AgentEvent::Assigned { conversation: id });
    }

    pub(super) fn decline(&mut self, t: &mut Turn<'_>, agent: AgentId, id: ConversationId) {
        if self.refuses(t, agent, id, Needs::Offer) {
            return;
        }
        self.withdraw(t, id, agent, Withdrawn::Declined);
        self.route(t);
    }

    /// Stale (the conversation moved on) unless it is still offered to this agent.
    pub(super) fn offer_expired(&mut self, t: &mut Turn<'_>, agent: AgentId, id: ConversationId) {
        if self.refusal(agent, id, Needs::Offer).is_some() {
            return;
        }
        self.withdraw(t, id, agent, Withdrawn::Timeout);
        if self.seats.lapsed(agent) {
            let why = SetAway::OffersLapsed;
            t.notify(agent, AgentEvent::SetAway { why });
            self.give_back_offers(t, agent);
        }
        self.route(t);
    }

    pub(super) fn agent_send(
        &mut self,
        t: &mut Turn<'_>,
        agent: AgentId,
        id: ConversationId,
        text: String,
    ) {
        if self.refuses(t, agent, id, Needs::Hold) {
            return;
        }
        // Only a connected agent sends, and connecting gives it a seat with its profile.
        let Some(profile) = self.seats.profile(agent).cloned() else {
            let why = "connect before sending".to_owned();
            t.effects
                .push(refuse(agent, id, Refusal::NotConnected, why));
            return;
        };
        // Refused whole rather than cut: the platform takes at most this many characters, and a
        // message cut short would say something the agent did not write.
        let length = text.chars().count();
        if length > TEXT_MAX {
            let why = format!("the message is {length} characters; at most {TEXT_MAX} are sent");
            t.effects.push(refuse(agent, id, Refusal::TooLong, why));
            return;
        }
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        if let State::WithAgent { replied, .. } = &mut conv.state {
            *replied = true;
        }
        let said = conv.say(Author::Agent, &profile, text, Vec::new(), t.now);
        t.send(conv, said);
        t.save(conv);
    }

    /// To a named agent (offered to them alone; the customer hears from them once they accept)
    /// or back to the queue for skills (ahead of newer ones, the customer told by the bot). The
    /// agent who transferred is released from it; the note travels with the ticket.
    pub(super) fn transfer(
        &mut self,
        t: &mut Turn<'_>,
        agent: AgentId,
        id: ConversationId,
        to: TransferTo,
        note: Option<String>,
    ) {
        if self.refuses(t, agent, id, Needs::Hold) {
            return;
        }
        if let TransferTo::Agent(target) = &to {
            if *target == agent || !self.seats.can_take(*target, &t.account.id) {
                let why = format!("agent {target} is not available to take it");
                t.effects
                    .push(refuse(agent, id, Refusal::AgentUnavailable, why));
                return;
            }
        }
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let State::WithAgent { since, .. } = conv.state else {
            return;
        };
        let mut ticket = Ticket::lined(Lined::Transfer, 1, since, t.now);
        ticket.note = note;
        conv.epoch += 1;
        conv.declined.clear();
        let why = LetGo::Transferred;
        t.notify(
            agent,
            AgentEvent::Closed {
                conversation: id,
                why,
            },
        );
        match to {
            TransferTo::Agent(target) => {
                // Offered straight to the named agent (who may still decline).
                self.lines.line_up(conv, ticket.clone(), t.account);
                conv.note_routing(RoutingNote::named(t.now, target, agent));
                self.seats.unload(agent, t.now);
                self.offer(t, id, ticket, target);
            }
            TransferTo::Skills(skills) => {
                ticket.skills = skills;
                let place = self.lines.line_up(conv, ticket, t.account);
                t.say(conv, &t.account.rules.waiting.transferred, Some(place), &[]);
                t.save(conv);
                self.seats.unload(agent, t.now);
                self.route(t);
            }
        }
    }

    /// The agent lets go of a conversation it holds, or the customer went quiet: `Released`
    /// or `CustomerIdle` to the bot (which says so, under the new epoch and its own profile),
    /// or `Resolved` (closed). The hold's length goes into the account's handling times.
    pub(super) fn let_go(
        &mut self,
        t: &mut Turn<'_>,
        agent: AgentId,
        id: ConversationId,
        why: LetGo,
    ) {
        if self.refuses(t, agent, id, Needs::Hold) {
            return;
        }
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let name = introduced(conv, &self.seats);
        if let State::WithAgent { since, .. } = conv.state {
            self.seats
                .handled(&t.account.id, t.now.0.saturating_sub(since.0));
        }
        conv.epoch += 1;
        // Whoever answered outside is done too: the bot (or nobody, closed) has it now.
        conv.taken_outside = None;
        let waiting = &t.account.rules.waiting;
        match why {
            LetGo::Released => {
                conv.state = State::Bot;
                conv.fallbacks = 0;
                t.say(conv, &waiting.released, None, &[]);
            }
            LetGo::CustomerIdle => {
                conv.state = State::Bot;
                conv.fallbacks = 0;
                let extra = Extra::agent(&name);
                t.say_with(conv, &waiting.handed_back, None, &[], extra);
            }
            _ => conv.state = State::Closed,
        }
        t.save(conv);
        self.hold_ended(t, agent, id, why);
    }

    /// `agent` no longer holds `id`: it is told why, it has room again, and the line moves.
    pub(super) fn hold_ended(
        &mut self,
        t: &mut Turn<'_>,
        agent: AgentId,
        id: ConversationId,
        why: LetGo,
    ) {
        t.notify(
            agent,
            AgentEvent::Closed {
                conversation: id,
                why,
            },
        );
        self.seats.unload(agent, t.now);
        self.route(t);
    }
}

/// An agent's action refused; nothing changed.
fn refuse(agent: AgentId, conversation: ConversationId, code: Refusal, message: String) -> Effect {
    Effect::Refuse {
        agent,
        conversation,
        code,
        message,
    }
}

/// The name the customer was introduced to for the person holding `conv` (records from before
/// it was kept: from the agent's profile, if it is connected).
pub(super) fn introduced(conv: &Conversation, seats: &Seats) -> String {
    match &conv.state {
        State::WithAgent { name, .. } if !name.is_empty() => name.clone(),
        State::WithAgent { agent, .. } => seats.profile(*agent).map_or_else(
            || "the person helping you".to_owned(),
            |p| first_name(&p.name).to_owned(),
        ),
        _ => String::new(),
    }
}

/// First name only (before any comma), as agents may prefer for privacy.
fn first_name(profile_name: &str) -> &str {
    profile_name
        .split(',')
        .next()
        .unwrap_or(profile_name)
        .trim()
}

#[cfg(test)]
mod tests;
