//! The conversations in memory: the map, the index by customer, and id allocation.
//! Transitions change a conversation in place through [`Conversations::get_mut`].
//!
//! Memory follows open conversations: one at rest (closed, owed nothing, no deadline) is let go
//! once it is stored, and taken back (`restore`) when its customer writes again. Ids stay dense
//! from 0 whatever is in memory, so the next id is also how many conversations there have been.

use super::agent::AgentId;
use super::conversation::{Conversation, Customer, State};
use super::ids::{AccountId, Channel, ConversationId, CustomerId, Timestamp};
use foldhash::{HashMap, HashSet, HashSetExt};

/// Conversation ids by account, channel and customer, nested so a lookup borrows the ids it is
/// given instead of building an owned key (two string copies, three lookups a DM).
#[derive(Debug, Default)]
struct ByCustomer(HashMap<AccountId, HashMap<Channel, HashMap<CustomerId, ConversationId>>>);

impl ByCustomer {
    fn get(
        &self,
        account: &AccountId,
        channel: Channel,
        customer: &CustomerId,
    ) -> Option<ConversationId> {
        self.0.get(account)?.get(&channel)?.get(customer).copied()
    }

    fn insert(
        &mut self,
        account: &AccountId,
        channel: Channel,
        customer: &CustomerId,
        id: ConversationId,
    ) {
        let channels = match self.0.get_mut(account) {
            Some(channels) => channels,
            None => self.0.entry(account.clone()).or_default(),
        };
        channels
            .entry(channel)
            .or_default()
            .insert(customer.clone(), id);
    }

    /// Forgets the customer's entry if it is still `id`.
    fn remove(
        &mut self,
        account: &AccountId,
        channel: Channel,
        customer: &CustomerId,
        id: ConversationId,
    ) {
        let Some(customers) = self.0.get_mut(account).and_then(|c| c.get_mut(&channel)) else {
            return;
        };
        if customers.get(customer) == Some(&id) {
            customers.remove(customer);
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Conversations {
    map: HashMap<ConversationId, Conversation>,
    by_customer: ByCustomer,
    next_id: u64,
}

impl Conversations {
    /// Takes a persisted conversation back; ids handed out later stay above it.
    pub fn restore(&mut self, c: Conversation) {
        self.next_id = self.next_id.max(c.id.0 + 1);
        self.by_customer
            .insert(&c.account, c.customer.channel, &c.customer.id, c.id);
        self.map.insert(c.id, c);
    }

    /// Ids handed out from now on are at least `next` (the store knows of ids below it).
    pub fn ids_from(&mut self, next: u64) {
        self.next_id = self.next_id.max(next);
    }

    /// How many conversations there have been, in memory or not.
    pub fn total(&self) -> u64 {
        self.next_id
    }

    /// How many are in memory.
    pub fn resident(&self) -> usize {
        self.map.len()
    }

    /// Lets a conversation at rest go (it is stored); false, and nothing changes, for one that
    /// is not at rest or not here.
    pub fn evict(&mut self, id: ConversationId) -> bool {
        if !self.map.get(&id).is_some_and(at_rest) {
            return false;
        }
        if let Some(c) = self.map.remove(&id) {
            self.by_customer
                .remove(&c.account, c.customer.channel, &c.customer.id, id);
        }
        true
    }

    /// The customer's conversation with the account (its name refreshed, if the message gave
    /// one), else a new one.
    pub fn find_or_open(
        &mut self,
        customer: Customer,
        now: Timestamp,
        account: &AccountId,
    ) -> &mut Conversation {
        let known = self
            .by_customer
            .get(account, customer.channel, &customer.id)
            .filter(|id| self.map.contains_key(id));
        let id = known.unwrap_or_else(|| {
            let id = ConversationId(self.next_id);
            self.next_id += 1;
            self.by_customer
                .insert(account, customer.channel, &customer.id, id);
            id
        });
        let conv = self
            .map
            .entry(id)
            .or_insert_with(|| Conversation::new(id, account.clone(), customer.clone(), now));
        if known.is_some() && customer.name.is_some() {
            conv.customer.name = customer.name;
        }
        conv
    }

    pub fn get(&self, id: ConversationId) -> Option<&Conversation> {
        self.map.get(&id)
    }

    /// The customer's conversation with the account, if there is one.
    pub fn find(
        &self,
        account: &AccountId,
        channel: Channel,
        customer: &CustomerId,
    ) -> Option<&Conversation> {
        self.by_customer
            .get(account, channel, customer)
            .and_then(|id| self.map.get(&id))
    }

    pub fn get_mut(&mut self, id: ConversationId) -> Option<&mut Conversation> {
        self.map.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Conversation> {
        self.map.values()
    }

    /// The conversations `agent` holds.
    pub fn held_by(&self, agent: AgentId) -> Vec<ConversationId> {
        self.ids(|c| c.held_by() == Some(agent))
    }

    /// The conversations offered to `agent`.
    pub fn offered_to(&self, agent: AgentId) -> Vec<ConversationId> {
        self.ids(|c| matches!(c.state, State::Offered { agent: a, .. } if a == agent))
    }

    /// Sorted: what is done to each, in this order, does not depend on the map's.
    fn ids(&self, which: impl Fn(&Conversation) -> bool) -> Vec<ConversationId> {
        let mut ids: Vec<ConversationId> = self
            .map
            .values()
            .filter(|c| which(c))
            .map(|c| c.id)
            .collect();
        ids.sort();
        ids
    }

    /// Agents holding conversations, each once.
    pub fn holders(&self) -> impl Iterator<Item = (AgentId, &AccountId)> {
        let mut seen = HashSet::new();
        self.map
            .values()
            .filter_map(|c| Some((c.held_by()?, &c.account)))
            .filter(move |(a, _)| seen.insert(*a))
    }
}

/// Whether nothing about a conversation needs it in memory: closed, no message left for a
/// person to follow up, nobody answering from outside, no deadline to fire.
pub(super) fn at_rest(c: &Conversation) -> bool {
    c.state == State::Closed
        && c.follow_up.is_none()
        && c.taken_outside.is_none()
        && c.deadline.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FollowUp;

    fn conv(id: u64, customer: &str) -> Conversation {
        let who = Customer {
            channel: Channel::Webhook,
            id: CustomerId(customer.into()),
            name: None,
        };
        Conversation::new(
            ConversationId(id),
            AccountId::from("acme"),
            who,
            Timestamp(0),
        )
    }

    #[test]
    fn only_a_conversation_at_rest_is_let_go_and_an_admitted_one_is_found_again() {
        let mut all = Conversations::default();
        all.ids_from(40);
        let mut closed = conv(7, "ann");
        closed.state = State::Closed;
        let mut owed = conv(8, "ben");
        owed.state = State::Closed;
        owed.follow_up = Some(FollowUp {
            since: Timestamp(0),
            message: None,
        });
        let mut timed = conv(9, "cy");
        timed.state = State::Closed;
        timed.deadline = Some(Timestamp(5));
        for c in [closed.clone(), owed, timed, conv(10, "dee")] {
            all.restore(c);
        }
        assert_eq!((all.total(), all.resident()), (40, 4));
        for (id, gone) in [(8, false), (9, false), (10, false), (7, true), (7, false)] {
            assert_eq!(all.evict(ConversationId(id)), gone, "c{id}");
        }
        assert_eq!((all.total(), all.resident()), (40, 3));
        let acme = AccountId::from("acme");
        let ann = CustomerId("ann".into());
        assert!(all.find(&acme, Channel::Webhook, &ann).is_none());
        // Ann is back: admitted as stored, found by customer, not given a new id.
        all.restore(closed);
        let who = Customer {
            channel: Channel::Webhook,
            id: ann,
            name: None,
        };
        assert_eq!(
            all.find_or_open(who, Timestamp(1), &acme).id,
            ConversationId(7)
        );
        let new = conv(0, "eve").customer;
        assert_eq!(
            all.find_or_open(new, Timestamp(1), &acme).id,
            ConversationId(40)
        );
        assert_eq!((all.total(), all.resident()), (41, 5));
    }
}
