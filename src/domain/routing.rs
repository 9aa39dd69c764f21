//! Who gets offered a queued conversation: the seats (agents as routing sees them) and the rule.
//!
//! Fit: connected and available, same account, every required skill, spare capacity. Among the
//! fit: someone who has not declined this conversation before, if there is one; then the least
//! loaded; then the longest idle; then the lowest id, so the choice is deterministic.

use super::agent::{Agent, AgentId, Presence};
use super::conversation::Ticket;
use super::ids::{AccountId, Timestamp};
use super::reasons::Passed;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub agent: Agent,
    /// `None` when no connection is left.
    pub presence: Option<Presence>,
    /// Conversations offered to or held by the agent.
    pub load: u32,
    /// Since when the agent has held nothing.
    pub idle_since: Timestamp,
    /// Offers in a row that lapsed.
    pub lapsed: u32,
    /// When the agent's disconnect grace ends, while one is running.
    pub grace: Option<Timestamp>,
}

impl Seat {
    pub fn new(agent: Agent, now: Timestamp) -> Seat {
        Seat {
            agent,
            presence: None,
            load: 0,
            idle_since: now,
            lapsed: 0,
            grace: None,
        }
    }

    /// Available, of this account, with spare capacity: could take something.
    pub fn has_room(&self, account: &AccountId) -> bool {
        self.presence == Some(Presence::Available)
            && &self.agent.account == account
            && self.load < self.agent.capacity
    }

    fn fits(&self, account: &AccountId, ticket: &Ticket) -> bool {
        self.unfit(account, ticket).is_none()
    }

    /// Why this agent cannot take the ticket, if it cannot.
    fn unfit(&self, account: &AccountId, ticket: &Ticket) -> Option<Passed> {
        if &self.agent.account != account {
            return Some(Passed::OtherAccount);
        }
        match self.presence {
            None => return Some(Passed::Offline),
            Some(Presence::Away) => return Some(Passed::Away),
            Some(Presence::Available) => {}
        }
        if !ticket.skills.iter().all(|s| self.agent.skills.contains(s)) {
            return Some(Passed::MissingSkill);
        }
        if self.load >= self.agent.capacity {
            return Some(Passed::AtCapacity);
        }
        None
    }
}

/// One routing decision, kept with the conversation: who was offered it, and why the other
/// agents of the account were passed over. Per reason: how many, and the first few of them, so
/// a note stays small however large the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingNote {
    pub at: Timestamp,
    pub offered_to: AgentId,
    /// Set when the agent was named rather than chosen (a transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_by: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<PassedOver>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassedOver {
    pub why: Passed,
    pub count: usize,
    /// The lowest-numbered of them, at most `EXAMPLES`.
    pub agents: Vec<AgentId>,
}

/// Agents named per reason in a routing note.
const EXAMPLES: usize = 5;

/// Explains a decision `pick` made for `chosen`.
pub fn explain<'a>(
    seats: impl Iterator<Item = &'a Seat>,
    account: &AccountId,
    ticket: &Ticket,
    declined: &[AgentId],
    chosen: AgentId,
    now: Timestamp,
) -> RoutingNote {
    let mut by_reason: std::collections::BTreeMap<Passed, (usize, Vec<AgentId>)> =
        std::collections::BTreeMap::new();
    for s in seats.filter(|s| s.agent.id != chosen && &s.agent.account == account) {
        let why = match s.unfit(account, ticket) {
            Some(why) => why,
            None if declined.contains(&s.agent.id) => Passed::DeclinedBefore,
            None => Passed::Busier,
        };
        let entry = by_reason.entry(why).or_default();
        entry.0 += 1;
        entry.1.push(s.agent.id);
    }
    let passed_over = by_reason
        .into_iter()
        .map(|(why, (count, mut agents))| {
            agents.sort();
            agents.truncate(EXAMPLES);
            PassedOver { why, count, agents }
        })
        .collect();
    RoutingNote {
        at: now,
        offered_to: chosen,
        named_by: None,
        passed_over,
    }
}

/// The agent to offer a conversation to, if anyone fits.
pub fn pick<'a>(
    seats: impl Iterator<Item = &'a Seat>,
    account: &AccountId,
    ticket: &Ticket,
    declined: &[AgentId],
) -> Option<AgentId> {
    seats
        .filter(|s| s.fits(account, ticket))
        .min_by_key(|s| {
            (
                declined.contains(&s.agent.id),
                s.load,
                s.idle_since,
                s.agent.id,
            )
        })
        .map(|s| s.agent.id)
}
