//! The lines: one queue per account of the conversations waiting for a person, and where a
//! conversation stands in its line.

use super::account::Account;
use super::conversation::{Conversation, State, Ticket};
use super::ids::{AccountId, ConversationId};
use super::queue::Queue;
use crate::rules::Timeouts;
use foldhash::HashMap;
use std::time::Duration;

/// Where a queued conversation stands, for `{queue.position}` and `{queue.size}`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    pub position: usize,
    pub size: usize,
}

#[derive(Debug, Default)]
pub(super) struct Lines {
    queues: HashMap<AccountId, Queue>,
}

impl Lines {
    /// Opens the account's line, ordered with its `ageing` (restore: before anyone joins it).
    pub fn open(&mut self, account: &AccountId, ageing: Duration) {
        self.queues.insert(account.clone(), Queue::new(ageing));
    }

    /// Reorders the account's line by a new `ageing` (a reload of the rules).
    pub fn set_ageing(&mut self, account: &AccountId, ageing: Duration) {
        if let Some(q) = self.queues.get_mut(account) {
            q.set_ageing(ageing);
        }
    }

    /// Puts a restored queued conversation back at its place.
    pub fn restore(&mut self, conv: &Conversation, ticket: &Ticket) {
        self.queues
            .entry(conv.account.clone())
            .or_insert_with(|| Queue::new(Timeouts::default().ageing))
            .insert(conv.id, ticket);
    }

    /// Puts the conversation in its account's line with `ticket` (its state becomes
    /// `Queued`); returns its place.
    pub fn line_up(&mut self, conv: &mut Conversation, ticket: Ticket, account: &Account) -> Place {
        let queue = self
            .queues
            .entry(conv.account.clone())
            .or_insert_with(|| Queue::new(account.timeouts.ageing));
        queue.insert(conv.id, &ticket);
        let place = Place {
            position: queue.position(conv.id).unwrap_or(queue.len()),
            size: queue.len(),
        };
        conv.fallbacks = 0;
        conv.bot_since = None;
        // In line, a Baton agent takes it next: whoever answered outside no longer counts.
        conv.taken_outside = None;
        conv.state = State::Queued(ticket);
        place
    }

    /// Takes the conversation out of its account's line (offered, or the customer left).
    pub fn leave(&mut self, account: &AccountId, id: ConversationId) {
        if let Some(q) = self.queues.get_mut(account) {
            q.remove(id);
        }
    }

    /// Where a queued conversation stands.
    pub fn place(&self, conv: &Conversation) -> Option<Place> {
        let queue = self.queues.get(&conv.account)?;
        Some(Place {
            position: queue.position(conv.id)?,
            size: queue.len(),
        })
    }

    /// How many wait in the account's line.
    pub fn len(&self, account: &AccountId) -> usize {
        self.queues.get(account).map_or(0, Queue::len)
    }

    /// The account's line, front first, as it is now (routing changes it as it goes).
    pub fn waiting(&self, account: &AccountId) -> Vec<ConversationId> {
        self.queues
            .get(account)
            .map_or_else(Vec::new, |q| q.iter().collect())
    }

    pub fn queue(&self, account: &AccountId) -> Option<&Queue> {
        self.queues.get(account)
    }
}
