//! Seating agents and routing the queue: who is offered what, and how an offer or a hold ends
//! without the agent (a decline, a lapse, a vanished agent).

use super::agent::{Agent, AgentId, Presence};
use super::conversation::{State, Ticket, ROUTING_NOTES};
use super::desk::{Account, Desk, Turn};
use super::effect::{AgentEvent, Effect, Timer};
use super::ids::{ConversationId, Timestamp};
use super::reasons::Withdrawn;
use super::routing::{explain, pick, Seat};

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
        let seat = self
            .seats
            .entry(id)
            .or_insert_with(|| Seat::new(agent.clone(), now));
        seat.agent = agent;
        seat.presence = presence;
        let mut effects = Vec::new();
        if presence.is_some() {
            if let Some(at) = seat.grace.take() {
                effects.push(Effect::Schedule {
                    timer: Timer::Agent(id),
                    from: Some(at),
                    to: None,
                });
            }
        } else {
            // Gone: offers return to the queue at their place; held conversations wait out the
            // grace period, in case the agent is only reconnecting.
            if seat.grace.is_none() && self.conversations.values().any(|c| c.held_by() == Some(id))
            {
                let grace = account.timeouts.agent_disconnect_grace;
                let at = Timestamp(now.0.saturating_add(grace.as_millis() as u64));
                seat.grace = Some(at);
                effects.push(Effect::Schedule {
                    timer: Timer::Agent(id),
                    from: None,
                    to: Some(at),
                });
            }
            let offered: Vec<ConversationId> = self
                .conversations
                .values()
                .filter(|c| matches!(c.state, State::Offered { agent, .. } if agent == id))
                .map(|c| c.id)
                .collect();
            for conv in offered {
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
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.grace = None;
            if seat.presence.is_some() {
                return Vec::new();
            }
        }
        let held: Vec<ConversationId> = self
            .conversations
            .values()
            .filter(|c| c.held_by() == Some(agent))
            .map(|c| c.id)
            .collect();
        let mut effects = Vec::new();
        for id in held {
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
        let Some(mut conv) = self.conversations.remove(&id) else {
            return Vec::new();
        };
        let State::WithAgent { since, .. } = conv.state else {
            self.conversations.insert(id, conv);
            return Vec::new();
        };
        let ticket = Ticket::new("agent_gone", 1, since, now);
        let place = self.line_up(&mut conv, ticket, account);
        conv.epoch += 1;
        let mut turn = Turn::new(account, now);
        turn.say(
            &mut conv,
            &account.rules.waiting.agent_gone,
            Some(place),
            &[],
        );
        let mut effects = turn.effects;
        effects.push(Effect::Save(conv.touch(now)));
        self.conversations.insert(id, conv);
        self.unload(agent, now);
        effects
    }

    /// Offers queued conversations, front of the line first, to fit agents.
    pub(super) fn route(&mut self, account: &Account, now: Timestamp) -> Vec<Effect> {
        let mut effects = Vec::new();
        let Some(queue) = self.queues.get(&account.id) else {
            return effects;
        };
        let waiting: Vec<ConversationId> = queue.iter().collect();
        for id in waiting {
            // With nobody free, the rest of the line cannot move: stop, rather than try every
            // waiting conversation against every agent.
            if !self.seats.values().any(|s| s.has_room(&account.id)) {
                break;
            }
            let Some(conv) = self.conversations.get(&id) else {
                continue;
            };
            let Some(ticket) = conv.ticket().cloned() else {
                continue;
            };
            let Some(agent) = pick(self.seats.values(), &account.id, &ticket, &conv.declined)
            else {
                continue;
            };
            let note = explain(
                self.seats.values(),
                &account.id,
                &ticket,
                &conv.declined,
                agent,
                now,
            );
            if let Some(conv) = self.conversations.get_mut(&id) {
                conv.routing.push(note);
                let excess = conv.routing.len().saturating_sub(ROUTING_NOTES);
                conv.routing.drain(..excess);
            }
            effects.extend(self.offer(id, ticket, agent, account, now));
        }
        effects
    }

    pub(super) fn offer(
        &mut self,
        id: ConversationId,
        ticket: Ticket,
        agent: AgentId,
        account: &Account,
        now: Timestamp,
    ) -> Vec<Effect> {
        let rule = self.conversations.get(&id).and_then(|c| c.rule.as_deref());
        let offer = account.timeouts_for(rule).offer;
        let expires_at = Timestamp(now.0.saturating_add(offer.as_millis() as u64));
        if let Some(q) = self.queues.get_mut(&account.id) {
            q.remove(id);
        }
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.load += 1;
        }
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        conv.state = State::Offered {
            ticket,
            agent,
            expires_at,
        };
        vec![
            Effect::Save(conv.touch(now)),
            Effect::Notify {
                agent,
                event: AgentEvent::Offer {
                    conversation: id,
                    expires_at,
                },
            },
        ]
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
        let Some(mut conv) = self.conversations.remove(&id) else {
            return Vec::new();
        };
        let State::Offered { ticket, .. } = &conv.state else {
            self.conversations.insert(id, conv);
            return Vec::new();
        };
        let ticket = ticket.clone();
        self.line_up(&mut conv, ticket, account);
        if !conv.declined.contains(&agent) {
            conv.declined.push(agent);
        }
        let saved = conv.touch(now);
        self.conversations.insert(id, conv);
        self.unload(agent, now);
        vec![
            Effect::Save(saved),
            Effect::Notify {
                agent,
                event: AgentEvent::OfferWithdrawn {
                    conversation: id,
                    why,
                },
            },
        ]
    }

    pub(super) fn unload(&mut self, agent: AgentId, now: Timestamp) {
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.load = seat.load.saturating_sub(1);
            if seat.load == 0 {
                seat.idle_since = now;
            }
        }
    }
}

#[cfg(test)]
mod tests;
