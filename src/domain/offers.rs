//! Seating agents and routing the queue: who is offered what, and how an offer or a hold ends
//! without the agent (a decline, a lapse, a vanished agent).

use super::account::Account;
use super::agent::{Agent, AgentId, Presence};
use super::conversation::{State, Ticket};
use super::desk::Desk;
use super::effect::{AgentEvent, Effect, Timer};
use super::ids::{ConversationId, Timestamp};
use super::reasons::Withdrawn;
use super::timers::after;
use super::turn::Turn;

impl Desk {
    /// An agent connected, changed presence, or went offline (`None`).
    pub(super) fn agent_seen(
        &mut self,
        agent: Agent,
        presence: Option<Presence>,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        let id = agent.id;
        let timer = Timer::Agent(id);
        let mut effects = Vec::new();
        let ended = self.seats.seen(agent, presence, now);
        if let Some(at) = ended {
            let (from, to) = (Some(at), None);
            effects.push(Effect::Schedule { timer, from, to });
        }
        if presence.is_none() {
            // Gone: offers return to the queue at their place; held conversations wait out the
            // grace period, in case the agent is only reconnecting.
            let at = after(now, account.timeouts.agent_disconnect_grace);
            if !self.conversations.held_by(id).is_empty() && self.seats.start_grace(id, at) {
                let (from, to) = (None, Some(at));
                effects.push(Effect::Schedule { timer, from, to });
            }
            for conv in self.conversations.offered_to(id) {
                effects.extend(self.withdraw(conv, id, Withdrawn::AgentGone, now, account));
            }
        }
        effects.extend(self.route(account, now));
        effects
    }

    /// The agent did not come back in time: its conversations return to the queue ahead of
    /// newer ones (queued as of when the agent took them), and each customer is told.
    pub(super) fn grace_expired(
        &mut self,
        agent: AgentId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if !self.seats.grace_over(agent) {
            return Vec::new();
        }
        let mut effects = Vec::new();
        for id in self.conversations.held_by(agent) {
            effects.extend(self.requeue_from(agent, id, now, account));
        }
        effects.extend(self.route(account, now));
        effects
    }

    fn requeue_from(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        let Some(conv) = self.conversations.get_mut(id) else {
            return Vec::new();
        };
        let State::WithAgent { since, .. } = conv.state else {
            return Vec::new();
        };
        let ticket = Ticket::new("agent_gone", 1, since, now);
        let place = self.lines.line_up(conv, ticket, account);
        conv.epoch += 1;
        let mut turn = Turn::new(account, now);
        let gone = &account.rules.waiting.agent_gone;
        turn.say(conv, gone, Some(place), &[]);
        turn.save(conv);
        self.seats.unload(agent, now);
        turn.effects
    }

    /// Offers queued conversations, front of the line first, to fit agents.
    pub(super) fn route(&mut self, account: &Account, now: Timestamp) -> Vec<Effect> {
        let mut effects = Vec::new();
        for id in self.lines.waiting(&account.id) {
            // With nobody free, the rest of the line cannot move: stop, rather than try every
            // waiting conversation against every agent.
            if !self.seats.has_room(&account.id) {
                break;
            }
            let Some(conv) = self.conversations.get_mut(id) else {
                continue;
            };
            let Some(ticket) = conv.ticket().cloned() else {
                continue;
            };
            let chosen = self.seats.choose(&account.id, &ticket, &conv.declined, now);
            let Some((agent, note)) = chosen else {
                continue;
            };
            conv.note_routing(note);
            effects.extend(self.offer(id, ticket, agent, account, now));
        }
        effects
    }

    /// Reserves the conversation for `agent` until the offer lapses.
    pub(super) fn offer(
        &mut self,
        id: ConversationId,
        ticket: Ticket,
        agent: AgentId,
        account: &Account,
        now: Timestamp,
    ) -> Vec<Effect> {
        let Some(conv) = self.conversations.get_mut(id) else {
            return Vec::new();
        };
        let expires_at = after(now, account.timeouts_for(conv.rule.as_deref()).offer);
        self.lines.leave(&account.id, id);
        self.seats.load(agent);
        conv.state = State::Offered {
            ticket,
            agent,
            expires_at,
        };
        let mut turn = Turn::new(account, now);
        turn.save(conv);
        let conversation = id;
        turn.notify(
            agent,
            AgentEvent::Offer {
                conversation,
                expires_at,
            },
        );
        turn.effects
    }

    /// An offer ends without an accept: back to the queue at its place, the agent noted.
    pub(super) fn withdraw(
        &mut self,
        id: ConversationId,
        agent: AgentId,
        why: Withdrawn,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        let Some(conv) = self.conversations.get_mut(id) else {
            return Vec::new();
        };
        let State::Offered { ticket, .. } = &conv.state else {
            return Vec::new();
        };
        let ticket = ticket.clone();
        self.lines.line_up(conv, ticket, account);
        if !conv.declined.contains(&agent) {
            conv.declined.push(agent);
        }
        let mut turn = Turn::new(account, now);
        turn.save(conv);
        self.seats.unload(agent, now);
        let conversation = id;
        turn.notify(agent, AgentEvent::OfferWithdrawn { conversation, why });
        turn.effects
    }
}

#[cfg(test)]
mod tests;
