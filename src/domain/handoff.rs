//! The human side of the desk: routing, offers, the handoff with its Custom Profile switch, and
//! handing back. Every change of who holds a conversation bumps its epoch.

use super::agent::{Agent, AgentId, Presence};
use super::conversation::{State, Ticket, ROUTING_NOTES};
use super::desk::{Account, Desk};
use super::effect::{AgentEvent, Effect, TransferTo};
use super::ids::{ConversationId, Timestamp};
use super::message::Author;
use super::routing::{explain, pick, RoutingNote, Seat};

/// Offers lapsing in a row before Baton sets the agent away.
const LAPSES_BEFORE_AWAY: u32 = 2;

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
        if presence.is_none() {
            // Gone: offers return to the queue at their place; held conversations wait out the
            // grace period, in case the agent is only reconnecting.
            if self.conversations.values().any(|c| c.held_by() == Some(id)) {
                let grace = account.rules.timeouts.agent_disconnect_grace;
                effects.push(Effect::GraceTimer {
                    agent: id,
                    at: Timestamp(now.0 + grace.as_millis() as u64),
                });
            }
            let offered: Vec<ConversationId> = self
                .conversations
                .values()
                .filter(|c| matches!(c.state, State::Offered { agent, .. } if agent == id))
                .map(|c| c.id)
                .collect();
            for conv in offered {
                effects.extend(self.withdraw(conv, id, "agent_gone", now));
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
        if self.seats.get(&agent).is_some_and(|s| s.presence.is_some()) {
            return Vec::new();
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
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        let State::WithAgent { since, .. } = conv.state else {
            return Vec::new();
        };
        let ticket = Ticket {
            reason: "agent_gone".into(),
            priority: 1,
            skills: Vec::new(),
            queued_at: since,
            note: None,
        };
        let queue = self.queues.entry(conv.account.clone()).or_default();
        queue.insert(id, &ticket);
        let position = queue.position(id, &ticket).unwrap_or(1);
        conv.state = State::Queued(ticket);
        conv.epoch += 1;
        let text = format!(
            "Sorry, the person helping you was disconnected. You are back in line for the next person on the {} team: number {position}.",
            account.name
        );
        let effects = vec![
            conv.say(Author::Bot, &account.bot, text, Vec::new(), now),
            Effect::Save(conv.touch(now)),
        ];
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

    fn offer(
        &mut self,
        id: ConversationId,
        ticket: Ticket,
        agent: AgentId,
        account: &Account,
        now: Timestamp,
    ) -> Vec<Effect> {
        let expires_at = Timestamp(now.0 + account.rules.timeouts.offer.as_millis() as u64);
        if let Some(q) = self.queues.get_mut(&account.id) {
            q.remove(id, &ticket);
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
            Effect::OfferTimer {
                agent,
                conversation: id,
                at: expires_at,
            },
        ]
    }

    /// An offer ends without an accept: back to the queue at its place, the agent noted.
    fn withdraw(
        &mut self,
        id: ConversationId,
        agent: AgentId,
        why: &'static str,
        now: Timestamp,
    ) -> Vec<Effect> {
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        let State::Offered { ticket, .. } = &conv.state else {
            return Vec::new();
        };
        let ticket = ticket.clone();
        self.queues
            .entry(conv.account.clone())
            .or_default()
            .insert(id, &ticket);
        conv.state = State::Queued(ticket);
        if !conv.declined.contains(&agent) {
            conv.declined.push(agent);
        }
        let saved = conv.touch(now);
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

    fn unload(&mut self, agent: AgentId, now: Timestamp) {
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.load = seat.load.saturating_sub(1);
            if seat.load == 0 {
                seat.idle_since = now;
            }
        }
    }

    /// Why `agent` may not act on the conversation, if it may not: it must hold an offer of
    /// it (`offered`) or hold the conversation itself.
    fn refusal(&self, agent: AgentId, id: ConversationId, offered: bool) -> Option<Effect> {
        let mine = self.conversations.get(&id).is_some_and(|c| match c.state {
            State::Offered { agent: a, .. } => offered && a == agent,
            State::WithAgent { agent: a, .. } => !offered && a == agent,
            _ => false,
        });
        if mine {
            return None;
        }
        let (code, what) = if offered {
            ("not_offered", "offered to")
        } else {
            ("not_assigned", "assigned to")
        };
        Some(Effect::Refuse {
            agent,
            conversation: id,
            code,
            message: format!("conversation {id} is not {what} you"),
        })
    }

    pub(super) fn accept(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, true) {
            return vec![refused];
        }
        let Some(seat) = self.seats.get_mut(&agent) else {
            return Vec::new();
        };
        seat.lapsed = 0;
        let profile = seat.agent.profile.clone();
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        conv.state = State::WithAgent { agent, since: now };
        conv.epoch += 1;
        conv.declined.clear();
        // The customer learns at once that a person is writing now, and who: signed with the
        // agent's own profile, under the new epoch. First name only (before any comma).
        let first_name = profile
            .name
            .split(',')
            .next()
            .unwrap_or(&profile.name)
            .trim();
        let text = format!(
            "Hi, I'm {first_name}, a person on the {} team. I've read our conversation so far.",
            account.name
        );
        vec![
            conv.say(Author::Agent, &profile, text, Vec::new(), now),
            Effect::Save(conv.touch(now)),
            Effect::Notify {
                agent,
                event: AgentEvent::Assigned { conversation: id },
            },
        ]
    }

    pub(super) fn decline(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, true) {
            return vec![refused];
        }
        let mut effects = self.withdraw(id, agent, "declined", now);
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
        if self.refusal(agent, id, true).is_some() {
            return Vec::new();
        }
        let mut effects = self.withdraw(id, agent, "timeout", now);
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.lapsed += 1;
            if seat.lapsed >= LAPSES_BEFORE_AWAY && seat.presence.is_some() {
                seat.presence = Some(Presence::Away);
                effects.push(Effect::Notify {
                    agent,
                    event: AgentEvent::SetAway {
                        why: "offers lapsed twice in a row",
                    },
                });
            }
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
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, false) {
            return vec![refused];
        }
        // Only a connected agent sends, and connecting gives it a seat with its profile.
        let Some(profile) = self.seats.get(&agent).map(|s| s.agent.profile.clone()) else {
            return vec![Effect::Refuse {
                agent,
                conversation: id,
                code: "not_connected",
                message: "connect before sending".into(),
            }];
        };
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        vec![
            conv.say(Author::Agent, &profile, text, Vec::new(), now),
            Effect::Save(conv.touch(now)),
        ]
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
        if let Some(refused) = self.refusal(agent, id, false) {
            return vec![refused];
        }
        let refuse = |code, message: String| {
            vec![Effect::Refuse {
                agent,
                conversation: id,
                code,
                message,
            }]
        };
        if let TransferTo::Agent(target) = &to {
            let fit = self.seats.get(target).is_some_and(|s| {
                s.presence == Some(Presence::Available)
                    && s.agent.account == account.id
                    && s.load < s.agent.capacity
                    && *target != agent
            });
            if !fit {
                return refuse(
                    "agent_unavailable",
                    format!("agent {target} is not available to take it"),
                );
            }
        }
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        let State::WithAgent { since, .. } = conv.state else {
            return Vec::new();
        };
        let skills = match &to {
            TransferTo::Skills(s) => s.clone(),
            TransferTo::Agent(_) => Vec::new(),
        };
        let ticket = Ticket {
            reason: "transfer".into(),
            priority: 1,
            skills,
            queued_at: since,
            note,
        };
        conv.epoch += 1;
        conv.declined.clear();
        let mut effects = vec![Effect::Notify {
            agent,
            event: AgentEvent::Closed {
                conversation: id,
                why: "transferred",
            },
        }];
        match to {
            TransferTo::Agent(target) => {
                // Offered straight to the named agent (who may still decline).
                let queue = self.queues.entry(conv.account.clone()).or_default();
                queue.insert(id, &ticket);
                conv.state = State::Queued(ticket.clone());
                conv.routing.push(RoutingNote {
                    at: now,
                    offered_to: target,
                    named_by: Some(agent),
                    passed_over: Vec::new(),
                });
                let excess = conv.routing.len().saturating_sub(ROUTING_NOTES);
                conv.routing.drain(..excess);
                self.unload(agent, now);
                effects.extend(self.offer(id, ticket, target, account, now));
            }
            TransferTo::Skills(_) => {
                let queue = self.queues.entry(conv.account.clone()).or_default();
                queue.insert(id, &ticket);
                let position = queue.position(id, &ticket).unwrap_or(1);
                conv.state = State::Queued(ticket);
                let text = format!(
                    "I'm passing you to a colleague who can help with this. You are number {position} in line."
                );
                effects.push(conv.say(Author::Bot, &account.bot, text, Vec::new(), now));
                effects.push(Effect::Save(conv.touch(now)));
                self.unload(agent, now);
                effects.extend(self.route(account, now));
            }
        }
        effects
    }

    /// Back to the bot: the profile switches back and the bot says so.
    pub(super) fn release(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, false) {
            return vec![refused];
        }
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        conv.state = State::Bot;
        conv.epoch += 1;
        conv.fallbacks = 0;
        let text = format!(
            "You're back with {}, the automated assistant. Say \"agent\" any time to reach a person again.",
            account.bot.name
        );
        let mut effects = vec![
            conv.say(Author::Bot, &account.bot, text, Vec::new(), now),
            Effect::Save(conv.touch(now)),
            Effect::Notify {
                agent,
                event: AgentEvent::Closed {
                    conversation: id,
                    why: "released",
                },
            },
        ];
        self.unload(agent, now);
        effects.extend(self.route(account, now));
        effects
    }

    pub(super) fn resolve(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, false) {
            return vec![refused];
        }
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        conv.state = State::Closed;
        conv.epoch += 1;
        let mut effects = vec![
            Effect::Save(conv.touch(now)),
            Effect::Notify {
                agent,
                event: AgentEvent::Closed {
                    conversation: id,
                    why: "resolved",
                },
            },
        ];
        self.unload(agent, now);
        effects.extend(self.route(account, now));
        effects
    }
}

#[cfg(test)]
mod tests;
