//! What agents do with conversations: accept (the Custom Profile switch), decline, let lapse,
//! write, transfer, hand back, resolve. Every change of who holds a conversation bumps its
//! epoch. Seating and routing are in `offers`.

use super::account::Account;
use super::agent::AgentId;
use super::conversation::{Conversation, State, Ticket};
use super::desk::Desk;
use super::effect::{AgentEvent, Effect, TransferTo};
use super::ids::{ConversationId, Timestamp};
use super::message::Author;
use super::reasons::{LetGo, Refusal, SetAway, Withdrawn};
use super::routing::RoutingNote;
use super::seats::Seats;
use super::turn::{Extra, Turn};

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

    pub(super) fn accept(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, Needs::Offer) {
            return vec![refused];
        }
        let Some(profile) = self.seats.profile(agent).cloned() else {
            return Vec::new();
        };
        self.seats.accepted(agent);
        let Some(conv) = self.conversations.get_mut(id) else {
            return Vec::new();
        };
        let priority = conv.ticket().map_or(0, |t| t.priority);
        let first_name = first_name(&profile.name).to_owned();
        conv.state = State::WithAgent {
            agent,
            since: now,
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
        let mut turn = Turn::new(account, now);
        let announcement = &account.rules.waiting.announcement;
        let text = turn.render(conv, announcement, None, Extra::agent(&first_name));
        let said = conv.say(Author::Agent, &profile, text, Vec::new(), now);
        turn.send(conv, said);
        turn.save(conv);
        turn.notify(agent, AgentEvent::Assigned { conversation: id });
        turn.effects
    }

    pub(super) fn decline(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, Needs::Offer) {
            return vec![refused];
        }
        let mut effects = self.withdraw(id, agent, Withdrawn::Declined, now, account);
        effects.extend(self.route(account, now));
        effects
    }

    /// Stale (the conversation moved on) unless it is still offered to this agent.
    pub(super) fn offer_expired(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if self.refusal(agent, id, Needs::Offer).is_some() {
            return Vec::new();
        }
        let mut effects = self.withdraw(id, agent, Withdrawn::Timeout, now, account);
        if self.seats.lapsed(agent) {
            let why = SetAway::OffersLapsed;
            let event = AgentEvent::SetAway { why };
            effects.push(Effect::Notify { agent, event });
        }
        effects.extend(self.route(account, now));
        effects
    }

    pub(super) fn agent_send(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        text: String,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, Needs::Hold) {
            return vec![refused];
        }
        // Only a connected agent sends, and connecting gives it a seat with its profile.
        let Some(profile) = self.seats.profile(agent).cloned() else {
            let why = "connect before sending".to_owned();
            return vec![refuse(agent, id, Refusal::NotConnected, why)];
        };
        let Some(conv) = self.conversations.get_mut(id) else {
            return Vec::new();
        };
        if let State::WithAgent { replied, .. } = &mut conv.state {
            *replied = true;
        }
        let mut turn = Turn::new(account, now);
        let said = conv.say(Author::Agent, &profile, text, Vec::new(), now);
        turn.send(conv, said);
        turn.save(conv);
        turn.effects
    }

    /// To a named agent (offered to them alone; the customer hears from them once they accept)
    /// or back to the queue for skills (ahead of newer ones, the customer told by the bot). The
    /// agent who transferred is released from it; the note travels with the ticket.
    pub(super) fn transfer(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        to: TransferTo,
        note: Option<String>,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, Needs::Hold) {
            return vec![refused];
        }
        if let TransferTo::Agent(target) = &to {
            if *target == agent || !self.seats.can_take(*target, &account.id) {
                let why = format!("agent {target} is not available to take it");
                return vec![refuse(agent, id, Refusal::AgentUnavailable, why)];
            }
        }
        let Some(conv) = self.conversations.get_mut(id) else {
            return Vec::new();
        };
        let State::WithAgent { since, .. } = conv.state else {
            return Vec::new();
        };
        let mut ticket = Ticket::new("transfer", 1, since, now);
        ticket.note = note;
        conv.epoch += 1;
        conv.declined.clear();
        let mut turn = Turn::new(account, now);
        let why = LetGo::Transferred;
        turn.notify(
            agent,
            AgentEvent::Closed {
                conversation: id,
                why,
            },
        );
        match to {
            TransferTo::Agent(target) => {
                // Offered straight to the named agent (who may still decline).
                self.lines.line_up(conv, ticket.clone(), account);
                conv.note_routing(RoutingNote::named(now, target, agent));
                self.seats.unload(agent, now);
                turn.effects
                    .extend(self.offer(id, ticket, target, account, now));
            }
            TransferTo::Skills(skills) => {
                ticket.skills = skills;
                let place = self.lines.line_up(conv, ticket, account);
                let transferred = &account.rules.waiting.transferred;
                turn.say(conv, transferred, Some(place), &[]);
                turn.save(conv);
                self.seats.unload(agent, now);
                turn.effects.extend(self.route(account, now));
            }
        }
        turn.effects
    }

    /// Back to the bot: the profile switches back and the bot says so.
    pub(super) fn release(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        self.let_go(agent, id, now, account, LetGo::Released)
    }

    pub(super) fn resolve(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        self.let_go(agent, id, now, account, LetGo::Resolved)
    }

    /// The agent lets go of a conversation it holds, or the customer went quiet: `Released`
    /// or `CustomerIdle` to the bot (which says so, under the new epoch and its own profile),
    /// or `Resolved` (closed). The hold's length goes into the account's handling times.
    pub(super) fn let_go(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
        why: LetGo,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, Needs::Hold) {
            return vec![refused];
        }
        let Some(conv) = self.conversations.get_mut(id) else {
            return Vec::new();
        };
        let name = introduced(conv, &self.seats);
        if let State::WithAgent { since, .. } = conv.state {
            self.seats
                .handled(&account.id, now.0.saturating_sub(since.0));
        }
        conv.epoch += 1;
        let mut turn = Turn::new(account, now);
        let waiting = &account.rules.waiting;
        match why {
            LetGo::Released => {
                conv.state = State::Bot;
                conv.fallbacks = 0;
                turn.say(conv, &waiting.released, None, &[]);
            }
            LetGo::CustomerIdle => {
                conv.state = State::Bot;
                conv.fallbacks = 0;
                let extra = Extra::agent(&name);
                turn.say_with(conv, &waiting.handed_back, None, &[], extra);
            }
            _ => conv.state = State::Closed,
        }
        turn.save(conv);
        turn.notify(
            agent,
            AgentEvent::Closed {
                conversation: id,
                why,
            },
        );
        self.seats.unload(agent, now);
        turn.effects.extend(self.route(account, now));
        turn.effects
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
