//! The seats: agents as routing sees them (in memory: after a restart nobody is connected),
//! their load, idleness, lapses and disconnect grace, each account's recent handling times,
//! and the pick rule.
//!
//! Fit: connected and available, same account, every required skill, spare capacity. Among the
//! fit: someone who has not declined this conversation before, if there is one; then the least
//! loaded, where an open offer weighs as much as a conversation held (it is counted from the
//! moment it is made, so two new conversations go to two free agents, not both to one); then
//! the longest idle; then the lowest id, so the choice is deterministic.

use super::agent::{Agent, AgentId, Presence};
use super::conversation::Ticket;
use super::estimate::Handling;
use super::ids::{AccountId, Timestamp};
use super::message::Profile;
use super::reasons::Passed;
use super::routing::RoutingNote;
use foldhash::HashMap;

/// Offers lapsing in a row before Baton sets the agent away.
const LAPSES_BEFORE_AWAY: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    agent: Agent,
    /// `None` when no connection is left.
    presence: Option<Presence>,
    /// Conversations offered to or held by the agent: both weigh on routing alike.
    load: u32,
    /// Since when the agent has held nothing.
    idle_since: Timestamp,
    /// Offers in a row that lapsed.
    lapsed: u32,
    /// When the agent's disconnect grace ends, while one is running.
    grace: Option<Timestamp>,
}

impl Seat {
    fn new(agent: Agent, now: Timestamp) -> Seat {
        Seat {
            agent,
            presence: None,
            load: 0,
            idle_since: now,
            lapsed: 0,
            grace: None,
        }
    }

    /// Why this agent cannot take a conversation of `account` needing `skills`, if it cannot.
    fn unfit(&self, account: &AccountId, skills: &[String]) -> Option<Passed> {
        if &self.agent.account != account {
            return Some(Passed::OtherAccount);
        }
        match self.presence {
            None => return Some(Passed::Offline),
            Some(Presence::Away) => return Some(Passed::Away),
            Some(Presence::Available) => {}
        }
        if !skills.iter().all(|s| self.agent.skills.contains(s)) {
            return Some(Passed::MissingSkill);
        }
        if self.load >= self.agent.capacity {
            return Some(Passed::AtCapacity);
        }
        None
    }
}

#[derive(Debug, Default)]
pub(super) struct Seats {
    seats: HashMap<AgentId, Seat>,
    /// Recent handling times per account, for queue estimates.
    handling: HashMap<AccountId, Handling>,
}

impl Seats {
    /// The agent connected, changed presence or (`None`) went offline. Returns the grace that
    /// was running, now ended, if the agent is back.
    pub fn seen(
        &mut self,
        agent: Agent,
        presence: Option<Presence>,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let seat = self
            .seats
            .entry(agent.id)
            .or_insert_with(|| Seat::new(agent.clone(), now));
        seat.agent = agent;
        seat.presence = presence;
        presence.and_then(|_| seat.grace.take())
    }

    /// The agent left for good (disabled or removed): its seat goes, so nothing is offered to
    /// it and nobody can transfer to it. Returns the grace that was running, if one was. A
    /// disabled agent enabled again gets a fresh seat when it next connects.
    pub fn leave(&mut self, agent: AgentId) -> Option<Timestamp> {
        self.seats.remove(&agent).and_then(|seat| seat.grace)
    }

    /// Starts the agent's disconnect grace, ending at `at`, unless one is running.
    pub fn start_grace(&mut self, agent: AgentId, at: Timestamp) -> bool {
        match self.seats.get_mut(&agent) {
            Some(seat) if seat.grace.is_none() => {
                seat.grace = Some(at);
                true
            }
            _ => false,
        }
    }

    /// The agent's grace ran out; whether it is still gone.
    pub fn grace_over(&mut self, agent: AgentId) -> bool {
        self.seats.get_mut(&agent).is_none_or(|seat| {
            seat.grace = None;
            seat.presence.is_none()
        })
    }

    /// Available, of this account, with spare capacity: could take something.
    pub fn has_room(&self, account: &AccountId) -> bool {
        self.seats.values().any(|s| s.unfit(account, &[]).is_none())
    }

    /// Whether `agent` could take a conversation of `account` needing no skill right now.
    pub fn can_take(&self, agent: AgentId, account: &AccountId) -> bool {
        self.seats
            .get(&agent)
            .is_some_and(|s| s.unfit(account, &[]).is_none())
    }

    /// The agent to offer the ticket to, if anyone fits, with the note saying why the others
    /// of the account were passed over.
    pub fn choose(
        &self,
        account: &AccountId,
        ticket: &Ticket,
        declined: &[AgentId],
        now: Timestamp,
    ) -> Option<(AgentId, RoutingNote)> {
        let chosen = self
            .seats
            .values()
            .filter(|s| s.unfit(account, &ticket.skills).is_none())
            .min_by_key(|s| {
                let id = s.agent.id;
                (declined.contains(&id), s.load, s.idle_since, id)
            })?
            .agent
            .id;
        let others = self
            .seats
            .values()
            .filter(|s| s.agent.id != chosen && &s.agent.account == account)
            .map(|s| {
                let why = match s.unfit(account, &ticket.skills) {
                    Some(why) => why,
                    None if declined.contains(&s.agent.id) => Passed::DeclinedBefore,
                    None => Passed::Busier,
                };
                (s.agent.id, why)
            });
        Some((chosen, RoutingNote::chosen(now, chosen, others)))
    }

    /// The agent's profile, if it ever connected.
    pub fn profile(&self, agent: AgentId) -> Option<&Profile> {
        self.seats.get(&agent).map(|s| &s.agent.profile)
    }

    /// One more conversation offered to the agent.
    pub fn load(&mut self, agent: AgentId) {
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.load += 1;
        }
    }

    /// One conversation fewer; with none left, the agent is idle from `now`.
    pub fn unload(&mut self, agent: AgentId, now: Timestamp) {
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.load = seat.load.saturating_sub(1);
            if seat.load == 0 {
                seat.idle_since = now;
            }
        }
    }

    /// The agent accepted an offer: its lapses no longer count.
    pub fn accepted(&mut self, agent: AgentId) {
        if let Some(seat) = self.seats.get_mut(&agent) {
            seat.lapsed = 0;
        }
    }

    /// The agent let an offer lapse; whether that sets it away (too many in a row).
    pub fn lapsed(&mut self, agent: AgentId) -> bool {
        let Some(seat) = self.seats.get_mut(&agent) else {
            return false;
        };
        seat.lapsed += 1;
        let away = seat.lapsed >= LAPSES_BEFORE_AWAY && seat.presence.is_some();
        if away {
            seat.presence = Some(Presence::Away);
        }
        away
    }

    /// A hold of `ms` ended: it counts towards the account's estimates.
    pub fn handled(&mut self, account: &AccountId, ms: u64) {
        self.handling.entry(account.clone()).or_default().record(ms);
    }

    /// The expected wait at `position`, from the account's recent handling times and the
    /// capacity of its available agents.
    pub fn estimate(&self, account: &AccountId, position: usize) -> Option<u64> {
        let seats = self
            .seats
            .values()
            .filter(|s| &s.agent.account == account && s.presence == Some(Presence::Available))
            .map(|s| s.agent.capacity)
            .sum();
        self.handling.get(account)?.wait_ms(position, seats)
    }
}
