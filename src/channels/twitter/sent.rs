//! The direct messages Baton itself sent lately, per account: their echoes come back in the
//! account's deliveries and must not pass for someone answering outside Baton.
//!
//! Bounded: an echo follows its send within seconds, so the last few thousand ids per account
//! are plenty; the oldest are forgotten first.

use crate::domain::{AccountId, MessageId};
use foldhash::HashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many sent event ids are remembered per account.
pub const REMEMBERED: usize = 4_096;

#[derive(Default)]
struct Recent {
    order: VecDeque<String>,
    /// The platform's event id → the message it was.
    ids: HashMap<String, MessageId>,
}

/// Shared between the sink (which remembers) and the webhook (which asks).
#[derive(Clone, Default)]
pub struct SentIds {
    accounts: Arc<Mutex<HashMap<AccountId, Recent>>>,
}

impl SentIds {
    /// `message` went out as the platform's event `event_id`.
    pub fn remember(&self, account: &AccountId, event_id: &str, message: MessageId) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let recent = accounts.entry(account.clone()).or_default();
        if recent.ids.insert(event_id.to_owned(), message).is_some() {
            return;
        }
        recent.order.push_back(event_id.to_owned());
        if recent.order.len() > REMEMBERED {
            if let Some(old) = recent.order.pop_front() {
                recent.ids.remove(&old);
            }
        }
    }

    pub fn contains(&self, account: &AccountId, event_id: &str) -> bool {
        self.message(account, event_id).is_some()
    }

    /// The message Baton sent as the platform's event `event_id`, if it is remembered.
    pub fn message(&self, account: &AccountId, event_id: &str) -> Option<MessageId> {
        let accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        accounts.get(account)?.ids.get(event_id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ConversationId;

    fn m(seq: u64) -> MessageId {
        MessageId {
            conversation: ConversationId(1),
            seq,
        }
    }

    #[test]
    fn remembers_per_account_and_forgets_the_oldest() {
        let sent = SentIds::default();
        let (a, b) = (AccountId::from("a"), AccountId::from("b"));
        sent.remember(&a, "1", m(1));
        assert_eq!(sent.message(&a, "1"), Some(m(1)));
        assert!(!sent.contains(&b, "1"));
        for n in 2..=REMEMBERED + 1 {
            sent.remember(&a, &n.to_string(), m(n as u64));
        }
        assert!(!sent.contains(&a, "1"));
        assert!(sent.contains(&a, "2"));
        assert!(sent.contains(&a, &(REMEMBERED + 1).to_string()));
    }
}
