//! Who gets offered a queued conversation: the seats (agents as routing sees them) and the rule.
//!
//! Fit: connected and available, same account, every required skill, spare capacity. Among the
//! fit: someone who has not declined this conversation before, if there is one; then the least
//! loaded; then the longest idle; then the lowest id, so the choice is deterministic.

use super::agent::{Agent, AgentId, Presence};
use super::conversation::Ticket;
use super::ids::{AccountId, Timestamp};

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
}

impl Seat {
    pub fn new(agent: Agent, now: Timestamp) -> Seat {
        Seat {
            agent,
            presence: None,
            load: 0,
            idle_since: now,
            lapsed: 0,
        }
    }

    fn fits(&self, account: &AccountId, ticket: &Ticket) -> bool {
        self.presence == Some(Presence::Available)
            && &self.agent.account == account
            && self.load < self.agent.capacity
            && ticket.skills.iter().all(|s| self.agent.skills.contains(s))
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
