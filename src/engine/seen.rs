//! Which inbound events were already taken in, answered from memory in the common case.
//!
//! Almost every event is new, and asking sled about a key it does not have costs more than the
//! rest of the DM's decision. The index maps a 64-bit hash of each event to the turn that took
//! it in: an absent hash proves the event is new; a present one (a redelivery, or very rarely a
//! collision) is confirmed by reading that turn. About 16 bytes per event.

use crate::store::{EventRef, Store, StoreError};
use foldhash::HashMap;
use std::hash::{BuildHasher, RandomState};

#[derive(Default)]
pub struct SeenIndex {
    turns: HashMap<u64, u64>,
    hasher: RandomState,
}

impl SeenIndex {
    pub fn insert(&mut self, event: &EventRef, turn: u64) {
        let h = self.hasher.hash_one(event);
        self.turns.insert(h, turn);
    }

    /// Forgets an event (its retention ended), unless a later turn took in the same hash.
    pub fn remove(&mut self, event: &EventRef, turn: u64) {
        let h = self.hasher.hash_one(event);
        if self.turns.get(&h) == Some(&turn) {
            self.turns.remove(&h);
        }
    }

    /// Whether the event was taken in before (by a turn in the store).
    pub fn contains(&self, store: &Store, event: &EventRef) -> Result<bool, StoreError> {
        let Some(&turn) = self.turns.get(&self.hasher.hash_one(event)) else {
            return Ok(false);
        };
        Ok(store
            .turn(turn)?
            .is_some_and(|t| t.event.as_ref() == Some(event)))
    }

    /// How many events the index knows.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.turns.len()
    }
}
