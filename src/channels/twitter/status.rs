//! Whether each account can send on Twitter/X right now, as the sink last learned it from the
//! platform, and how many of its messages are held: what `GET /v1/channels` shows.
//!
//! The sink writes it as answers come back; the admin API reads a snapshot. It is only a
//! report: the sink's own decisions (when to try again) never read it.

use crate::domain::{AccountId, ConversationId, Timestamp};
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What the platform last said about an account's sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendState {
    /// The last send went through (or nothing was sent yet).
    Ok,
    /// Nothing is sent before `until`.
    RateLimited { until: Timestamp },
    /// The platform refuses the account's credentials, since the first refusal in a row;
    /// `message` is the platform's own.
    CredentialsRefused { since: Timestamp, message: String },
    /// Messages for an account without `[accounts.<id>.twitter]` credentials are held.
    NotConfigured,
}

/// One account's line in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    pub account: AccountId,
    pub state: SendState,
    /// Messages waiting to be sent: the rest of each conversation's blocked turn.
    pub held: usize,
}

#[derive(Debug)]
struct Entry {
    state: SendState,
    /// Per conversation whose delivery is blocked, how many of its messages wait.
    held: HashMap<ConversationId, usize>,
}

impl Entry {
    fn new(state: SendState) -> Entry {
        Entry {
            state,
            held: HashMap::new(),
        }
    }
}

/// Shared by the sink (writer) and the admin API (reader); cheap to clone.
#[derive(Clone, Default, Debug)]
pub struct SendStatus {
    accounts: Arc<Mutex<BTreeMap<AccountId, Entry>>>,
}

impl SendStatus {
    /// An account with credentials: listed as `Ok` until the platform says otherwise.
    pub fn track(&self, account: AccountId) {
        self.lock()
            .entry(account)
            .or_insert_with(|| Entry::new(SendState::Ok));
    }

    /// A message went out; `exhausted_until` when it used up the window.
    pub fn sent(&self, account: &AccountId, exhausted_until: Option<Timestamp>) {
        self.with(account, |e| {
            e.state =
                exhausted_until.map_or(SendState::Ok, |until| SendState::RateLimited { until })
        });
    }

    pub fn limited(&self, account: &AccountId, until: Timestamp) {
        self.with(account, |e| e.state = SendState::RateLimited { until });
    }

    /// Keeps the time of the first refusal of a run, with the latest message.
    pub fn refused(&self, account: &AccountId, now: Timestamp, message: String) {
        self.with(account, |e| {
            let since = match &e.state {
                SendState::CredentialsRefused { since, .. } => *since,
                _ => now,
            };
            e.state = SendState::CredentialsRefused { since, message };
        });
    }

    /// A conversation's delivery is blocked with `waiting` messages of its turn not sent.
    pub fn held(&self, account: &AccountId, conversation: ConversationId, waiting: usize) {
        self.with(account, |e| {
            e.held.insert(conversation, waiting);
        });
    }

    /// A conversation's message was delivered or failed for good: it no longer blocks.
    pub fn moved(&self, account: &AccountId, conversation: ConversationId) {
        let mut accounts = self.lock();
        if let Some(e) = accounts.get_mut(account) {
            e.held.remove(&conversation);
        }
    }

    /// Every account the sink knows of, in account order; a rate limit whose reset has passed
    /// reads as `Ok`.
    pub fn snapshot(&self, now: Timestamp) -> Vec<AccountStatus> {
        self.lock()
            .iter()
            .map(|(account, e)| AccountStatus {
                account: account.clone(),
                state: match &e.state {
                    SendState::RateLimited { until } if *until <= now => SendState::Ok,
                    s => s.clone(),
                },
                held: e.held.values().sum(),
            })
            .collect()
    }

    /// Runs `f` on the account's entry; one first heard of here has no credentials, since
    /// `track` names every account that has.
    fn with(&self, account: &AccountId, f: impl FnOnce(&mut Entry)) {
        let mut accounts = self.lock();
        let entry = accounts
            .entry(account.clone())
            .or_insert_with(|| Entry::new(SendState::NotConfigured));
        f(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<AccountId, Entry>> {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_answer_decides_and_held_counts_blocked_messages() {
        let s = SendStatus::default();
        let acme = AccountId::from("acme");
        s.track(acme.clone());
        s.track(AccountId::from("zeta"));
        s.refused(&acme, Timestamp(1_000), "Invalid or expired token.".into());
        s.refused(&acme, Timestamp(2_000), "Your account is suspended.".into());
        s.held(&acme, ConversationId(1), 2);
        s.held(&acme, ConversationId(2), 1);
        s.held(&AccountId::from("other"), ConversationId(3), 1);
        let snap = s.snapshot(Timestamp(3_000));
        assert_eq!(
            snap,
            vec![
                AccountStatus {
                    account: acme.clone(),
                    state: SendState::CredentialsRefused {
                        since: Timestamp(1_000),
                        message: "Your account is suspended.".into()
                    },
                    held: 3,
                },
                AccountStatus {
                    account: AccountId::from("other"),
                    state: SendState::NotConfigured,
                    held: 1,
                },
                AccountStatus {
                    account: AccountId::from("zeta"),
                    state: SendState::Ok,
                    held: 0,
                },
            ]
        );
        s.limited(&acme, Timestamp(5_000));
        s.moved(&acme, ConversationId(1));
        let state = |now| s.snapshot(Timestamp(now))[0].clone();
        assert_eq!(
            state(4_000).state,
            SendState::RateLimited {
                until: Timestamp(5_000)
            }
        );
        assert_eq!(state(4_000).held, 1);
        assert_eq!(state(5_000).state, SendState::Ok);
        s.refused(&acme, Timestamp(6_000), "again".into());
        s.sent(&acme, None);
        s.moved(&acme, ConversationId(2));
        assert_eq!((state(7_000).state, state(7_000).held), (SendState::Ok, 0));
    }
}
