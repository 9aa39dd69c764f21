//! What agents do with conversations: accept (the Custom Profile switch), decline, let lapse,
//! write, transfer, hand back, resolve. Every change of who holds a conversation bumps its
//! epoch. Seating and routing are in `offers`.

use super::agent::{AgentId, Presence};
use super::conversation::{State, Ticket, ROUTING_NOTES};
use super::desk::{Account, Desk, Extra, Turn};
use super::effect::{AgentEvent, Effect, TransferTo};
use super::ids::{ConversationId, Timestamp};
use super::message::Author;
use super::reasons::{LetGo, Refusal, SetAway, Withdrawn};
use super::routing::RoutingNote;

/// Offers lapsing in a row before Baton sets the agent away.
const LAPSES_BEFORE_AWAY: u32 = 2;

impl Desk {
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
            (Refusal::NotOffered, "offered to")
        } else {
            (Refusal::NotAssigned, "assigned to")
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
        let priority = conv.ticket().map_or(0, |t| t.priority);
        // First name only (before any comma).
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
        let extra = Extra {
            agent: Some(&first_name),
            ..Extra::default()
        };
        let announcement = &account.rules.waiting.announcement;
        let mut turn = Turn::new(account, now);
        let text = turn.render(conv, announcement, None, extra);
        let said = conv.say(Author::Agent, &profile, text, Vec::new(), now);
        turn.send(conv, said);
        turn.effects.push(Effect::Save(conv.touch(now)));
        turn.effects.push(Effect::Notify {
            agent,
            event: AgentEvent::Assigned { conversation: id },
        });
        turn.effects
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
        if self.refusal(agent, id, true).is_some() {
            return Vec::new();
        }
        let mut effects = self.withdraw(id, agent, Withdrawn::Timeout, now, account);
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.lapsed += 1;
            if seat.lapsed >= LAPSES_BEFORE_AWAY && seat.presence.is_some() {
                seat.presence = Some(Presence::Away);
                effects.push(Effect::Notify {
                    agent,
                    event: AgentEvent::SetAway {
                        why: SetAway::OffersLapsed,
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
        account: &Account,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, false) {
            return vec![refused];
        }
        // Only a connected agent sends, and connecting gives it a seat with its profile.
        let Some(profile) = self.seats.get(&agent).map(|s| s.agent.profile.clone()) else {
            return vec![Effect::Refuse {
                agent,
                conversation: id,
                code: Refusal::NotConnected,
                message: "connect before sending".into(),
            }];
        };
        let Some(conv) = self.conversations.get_mut(&id) else {
            return Vec::new();
        };
        if let State::WithAgent { replied, .. } = &mut conv.state {
            *replied = true;
        }
        let mut turn = Turn::new(account, now);
        let said = conv.say(Author::Agent, &profile, text, Vec::new(), now);
        turn.send(conv, said);
        turn.effects.push(Effect::Save(conv.touch(now)));
        turn.effects
    }

    /// The name the customer was introduced to for the person holding `id` (records from
    /// before it was kept: from the agent's profile, if it is connected).
    pub(super) fn introduced(&self, id: ConversationId) -> String {
        let Some(conv) = self.conversations.get(&id) else {
            return String::new();
        };
        match &conv.state {
            State::WithAgent { name, .. } if !name.is_empty() => name.clone(),
            State::WithAgent { agent, .. } => self.seats.get(agent).map_or_else(
                || "the person helping you".to_owned(),
                |s| first_name(&s.agent.profile.name).to_owned(),
            ),
            _ => String::new(),
        }
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
                    Refusal::AgentUnavailable,
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
        let mut ticket = Ticket::new("transfer", 1, since, now);
        ticket.skills = skills;
        ticket.note = note;
        conv.epoch += 1;
        conv.declined.clear();
        let mut effects = vec![Effect::Notify {
            agent,
            event: AgentEvent::Closed {
                conversation: id,
                why: LetGo::Transferred,
            },
        }];
        match to {
            TransferTo::Agent(target) => {
                // Offered straight to the named agent (who may still decline).
                let Some(mut conv) = self.conversations.remove(&id) else {
                    return effects;
                };
                self.line_up(&mut conv, ticket.clone(), account);
                conv.routing.push(RoutingNote {
                    at: now,
                    offered_to: target,
                    named_by: Some(agent),
                    passed_over: Vec::new(),
                });
                let excess = conv.routing.len().saturating_sub(ROUTING_NOTES);
                conv.routing.drain(..excess);
                self.conversations.insert(id, conv);
                self.unload(agent, now);
                effects.extend(self.offer(id, ticket, target, account, now));
            }
            TransferTo::Skills(_) => {
                let Some(mut conv) = self.conversations.remove(&id) else {
                    return effects;
                };
                let place = self.line_up(&mut conv, ticket, account);
                let mut turn = Turn::new(account, now);
                turn.say(
                    &mut conv,
                    &account.rules.waiting.transferred,
                    Some(place),
                    &[],
                );
                effects.extend(turn.effects);
                effects.push(Effect::Save(conv.touch(now)));
                self.conversations.insert(id, conv);
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

    /// The agent lets go of a conversation it holds, or the customer went quiet: `released`
    /// or `customer_idle` to the bot (which says so, under the new epoch and its own profile),
    /// or `resolved` (closed). The hold's length goes into the account's handling times.
    pub(super) fn let_go(
        &mut self,
        agent: AgentId,
        id: ConversationId,
        now: Timestamp,
        account: &Account,
        why: LetGo,
    ) -> Vec<Effect> {
        if let Some(refused) = self.refusal(agent, id, false) {
            return vec![refused];
        }
        let name = self.introduced(id);
        let Some(mut conv) = self.conversations.remove(&id) else {
            return Vec::new();
        };
        if let State::WithAgent { since, .. } = conv.state {
            let handling = self.handling.entry(account.id.clone()).or_default();
            handling.record(now.0.saturating_sub(since.0));
        }
        conv.epoch += 1;
        let mut turn = Turn::new(account, now);
        match why {
            LetGo::Released => {
                conv.state = State::Bot;
                conv.fallbacks = 0;
                turn.say(&mut conv, &account.rules.waiting.released, None, &[]);
            }
            LetGo::CustomerIdle => {
                conv.state = State::Bot;
                conv.fallbacks = 0;
                let extra = Extra {
                    agent: Some(&name),
                    ..Extra::default()
                };
                let handed_back = &account.rules.waiting.handed_back;
                turn.say_with(&mut conv, handed_back, None, &[], extra);
            }
            _ => conv.state = State::Closed,
        }
        let mut effects = turn.effects;
        effects.push(Effect::Save(conv.touch(now)));
        self.conversations.insert(id, conv);
        effects.push(Effect::Notify {
            agent,
            event: AgentEvent::Closed {
                conversation: id,
                why,
            },
        });
        self.unload(agent, now);
        effects.extend(self.route(account, now));
        effects
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
