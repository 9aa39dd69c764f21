//! Seating agents and routing the queue: who is offered what, and how an offer or a hold ends
//! without the agent (a decline, a lapse, an agent gone or away: an agent that takes nothing
//! new keeps no offer open, and an agent disabled or removed keeps nothing).

use super::agent::{Agent, AgentId, Presence};
use super::conversation::{State, Ticket};
use super::desk::Desk;
use super::effect::{AgentEvent, Effect, Timer};
use super::ids::ConversationId;
use super::reasons::{Lined, Withdrawn};
use super::timers::after;
use super::turn::Turn;

impl Desk {
    /// An agent connected, changed presence, or went offline (`None`).
    pub(super) fn agent_seen(
        &mut self,
        t: &mut Turn<'_>,
        agent: Agent,
        presence: Option<Presence>,
    ) {
        let id = agent.id;
        let timer = Timer::Agent(id);
        if let Some(at) = self.seats.seen(agent, presence, t.now) {
            let (from, to) = (Some(at), None);
            t.effects.push(Effect::Schedule { timer, from, to });
        }
        if presence.is_none() {
            // Gone: held conversations wait out the grace period, in case the agent is only
            // reconnecting.
            let at = after(t.now, t.account.timeouts.agent_disconnect_grace);
            if !self.conversations.held_by(id).is_empty() && self.seats.start_grace(id, at) {
                let (from, to) = (None, Some(at));
                t.effects.push(Effect::Schedule { timer, from, to });
            }
        }
        if presence != Some(Presence::Available) {
            self.give_back_offers(t, id);
        }
        self.route(t);
    }

    /// The agent takes nothing new (away, or gone): an offer it still has open would only
    /// keep the customer waiting until it lapsed, so each goes back to the line at its place
    /// now, for the caller's `route` to pass on. In the order they joined the desk, so the
    /// agent hears of them in a stable order.
    pub(super) fn give_back_offers(&mut self, t: &mut Turn<'_>, agent: AgentId) {
        for conv in self.conversations.offered_to(agent) {
            self.withdraw(t, conv, agent, Withdrawn::AgentGone);
        }
    }

    /// The agent did not come back in time: its conversations return to the queue ahead of
    /// newer ones (queued as of when the agent took them), and each customer is told.
    pub(super) fn grace_expired(&mut self, t: &mut Turn<'_>, agent: AgentId) {
        if !self.seats.grace_over(agent) {
            return;
        }
        for id in self.conversations.held_by(agent) {
            self.requeue_from(t, agent, id);
        }
        self.route(t);
    }

    /// The agent was disabled or removed: as if its grace had run out at once. Its offers go
    /// back at their place, what it held goes back in line ahead of newer conversations (each
    /// customer told what they hear when an agent vanishes), its grace (if running) is
    /// dropped, and its seat goes, so it is offered nothing until it is back.
    pub(super) fn agent_left(&mut self, t: &mut Turn<'_>, agent: AgentId) {
        self.give_back_offers(t, agent);
        for id in self.conversations.held_by(agent) {
            self.requeue_from(t, agent, id);
        }
        if let Some(at) = self.seats.leave(agent) {
            let timer = Timer::Agent(agent);
            let (from, to) = (Some(at), None);
            t.effects.push(Effect::Schedule { timer, from, to });
        }
        self.route(t);
    }

    fn requeue_from(&mut self, t: &mut Turn<'_>, agent: AgentId, id: ConversationId) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let State::WithAgent { since, .. } = conv.state else {
            return;
        };
        let ticket = Ticket::lined(Lined::AgentGone, 1, since, t.now);
        let place = self.lines.line_up(conv, ticket, t.account);
        conv.epoch += 1;
        t.say(conv, &t.account.rules.waiting.agent_gone, Some(place), &[]);
        t.save(conv);
        self.seats.unload(agent, t.now);
    }

    /// Offers queued conversations, front of the line first, to fit agents.
    pub(super) fn route(&mut self, t: &mut Turn<'_>) {
        let account = &t.account.id;
        // Every message of a waiting customer routes: with every agent full (a surge), that
        // must not cost a copy of the whole line.
        if !self.seats.has_room(account) {
            return;
        }
        for id in self.lines.waiting(account) {
            // With nobody free, the rest of the line cannot move: stop, rather than try every
            // waiting conversation against every agent.
            if !self.seats.has_room(account) {
                break;
            }
            let Some(conv) = self.conversations.get_mut(id) else {
                continue;
            };
            let Some(ticket) = conv.ticket().cloned() else {
                continue;
            };
            let chosen = self.seats.choose(account, &ticket, &conv.declined, t.now);
            let Some((agent, note)) = chosen else {
                continue;
            };
            conv.note_routing(note);
            self.offer(t, id, ticket, agent);
        }
    }

    /// Reserves the conversation for `agent` until the offer lapses.
    pub(super) fn offer(
        &mut self,
        t: &mut Turn<'_>,
        id: ConversationId,
        ticket: Ticket,
        agent: AgentId,
    ) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let expires_at = after(t.now, t.account.timeouts_for(conv.rule.as_deref()).offer);
        self.lines.leave(&t.account.id, id);
        self.seats.load(agent);
        conv.state = State::Offered {
            ticket,
            agent,
            expires_at,
        };
        t.save(conv);
        let conversation = id;
        t.notify(
            agent,
            AgentEvent::Offer {
                conversation,
                expires_at,
            },
        );
    }

    /// An offer ends without an accept: back to the queue at its place, the agent noted.
    pub(super) fn withdraw(
        &mut self,
        t: &mut Turn<'_>,
        id: ConversationId,
        agent: AgentId,
        why: Withdrawn,
    ) {
        let Some(conv) = self.conversations.get_mut(id) else {
            return;
        };
        let State::Offered { ticket, .. } = &conv.state else {
            return;
        };
        let ticket = ticket.clone();
        self.lines.line_up(conv, ticket, t.account);
        if !conv.declined.contains(&agent) {
            conv.declined.push(agent);
        }
        t.save(conv);
        self.seats.unload(agent, t.now);
        let conversation = id;
        t.notify(agent, AgentEvent::OfferWithdrawn { conversation, why });
    }
}

#[cfg(test)]
mod tests;
