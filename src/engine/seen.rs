//! Which inbound events were already taken in, answered from memory in the common case.
//!
//! Almost every event is new, and asking sled about a key it does not have cost the engine
//! about 13 us per DM. The index keeps a 64-bit hash of every event key the store holds: a
//! hash that is absent proves the event is new; a hash that is present (a redelivery, or very
//! rarely a collision) is confirmed against the store. Memory: about 16 bytes per stored event.

use crate::domain::{AccountId, Channel, EventId};
use crate::store::{Store, StoreError};
use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

pub struct SeenIndex {
    hashes: HashSet<u64>,
    hasher: RandomState,
}

impl SeenIndex {
    /// Reads every stored event key once, at start-up.
    pub fn load(store: &Store) -> Result<SeenIndex, StoreError> {
        let hasher = RandomState::new();
        let mut hashes = HashSet::new();
        store.for_each_seen(|key| {
            hashes.insert(hasher.hash_one(key));
        })?;
        Ok(SeenIndex { hashes, hasher })
    }

    fn hash(&self, account: &AccountId, channel: Channel, event: &EventId) -> u64 {
        self.hasher.hash_one(crate::store::seen_key(
            account.as_str(),
            channel,
            event.as_str(),
        ))
    }

    /// Whether the event was taken in before (in the store, or earlier in this batch).
    pub fn contains(
        &self,
        store: &Store,
        account: &AccountId,
        channel: Channel,
        event: &EventId,
    ) -> Result<bool, StoreError> {
        if !self.hashes.contains(&self.hash(account, channel, event)) {
            return Ok(false);
        }
        store.seen(account.as_str(), channel, event.as_str())
    }

    pub fn insert(&mut self, account: &AccountId, channel: Channel, event: &EventId) {
        let h = self.hash(account, channel, event);
        self.hashes.insert(h);
    }

    /// How many events the index knows.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.hashes.len()
    }
}
