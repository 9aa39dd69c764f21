//! The Twitter/X side of live signals: an agent typing becomes `indicate_typing`, messages
//! shown to an agent become `mark_read`. Each at most once per conversation in its window
//! (3 s typing, 5 s read); a read held back by its window goes out when the window ends, the
//! newest only. Best effort: a refusal is logged, never retried.

use super::api::Client;
use crate::domain::{AccountId, CustomerId};
use crate::engine::{PlatformSignal, Shown};
use foldhash::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub const TYPING_EVERY: Duration = Duration::from_secs(3);
pub const READ_EVERY: Duration = Duration::from_secs(5);

/// How many signals may wait for the task before the engine drops new ones.
pub const OUTLET: usize = 1_024;

/// Past this many remembered conversations, the ones whose windows are over are forgotten.
const PRUNE_AT: usize = 4_096;

type Key = (AccountId, CustomerId);

/// When each conversation was last signalled, and the reads held back. Pure: time comes in.
#[derive(Default)]
struct Windows {
    typed: HashMap<Key, Instant>,
    read: HashMap<Key, Instant>,
    held: HashMap<Key, String>,
}

impl Windows {
    /// Whether a typing indicator goes out now.
    fn typing(&mut self, key: Key, now: Instant) -> bool {
        let open = self
            .typed
            .get(&key)
            .is_none_or(|at| now >= *at + TYPING_EVERY);
        if open {
            prune(&mut self.typed, now, TYPING_EVERY);
            self.typed.insert(key, now);
        }
        open
    }

    /// The read to send now, if its window is open; otherwise it is held (the newest wins).
    fn read(&mut self, key: Key, last: String, now: Instant) -> Option<(Key, String)> {
        match self.read.get(&key) {
            Some(at) if now < *at + READ_EVERY => {
                self.held.insert(key, last);
                None
            }
            _ => {
                if !self.held.contains_key(&key) {
                    prune(&mut self.read, now, READ_EVERY);
                }
                self.read.insert(key.clone(), now);
                self.held.remove(&key);
                Some((key, last))
            }
        }
    }

    /// When the earliest held read may go.
    fn next(&self) -> Option<Instant> {
        self.held
            .keys()
            .filter_map(|k| self.read.get(k).map(|at| *at + READ_EVERY))
            .min()
    }

    /// The held reads whose windows are over.
    fn due(&mut self, now: Instant) -> Vec<(Key, String)> {
        let keys: Vec<Key> = self
            .held
            .keys()
            .filter(|k| self.read.get(*k).is_none_or(|at| now >= *at + READ_EVERY))
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|k| {
                let last = self.held.remove(&k)?;
                self.read.insert(k.clone(), now);
                Some((k, last))
            })
            .collect()
    }
}

fn prune(map: &mut HashMap<Key, Instant>, now: Instant, window: Duration) {
    if map.len() >= PRUNE_AT {
        map.retain(|_, at| now < *at + window);
    }
}

/// Runs until the engine drops its outlet.
pub fn spawn(clients: HashMap<AccountId, Client>, mut rx: mpsc::Receiver<PlatformSignal>) {
    let clients: HashMap<AccountId, Arc<Client>> =
        clients.into_iter().map(|(k, c)| (k, Arc::new(c))).collect();
    tokio::spawn(async move {
        let mut windows = Windows::default();
        loop {
            let next = windows.next();
            let wake = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                s = rx.recv() => {
                    let Some(s) = s else { return };
                    let key = (s.account, s.customer);
                    match s.what {
                        Shown::Typing => {
                            if windows.typing(key.clone(), Instant::now()) {
                                typing(&clients, key);
                            }
                        }
                        Shown::Read { last } => {
                            if let Some((key, last)) = windows.read(key, last.0, Instant::now()) {
                                read(&clients, key, last);
                            }
                        }
                    }
                }
                () = wake => {
                    for (key, last) in windows.due(Instant::now()) {
                        read(&clients, key, last);
                    }
                }
            }
        }
    });
}

/// Each call on its own task, so a slow platform never holds the next signal back.
fn typing(clients: &HashMap<AccountId, Arc<Client>>, (account, customer): Key) {
    let Some(client) = clients.get(&account).cloned() else {
        return;
    };
    tokio::spawn(async move {
        if let Err(e) = client.indicate_typing(customer.as_str()).await {
            tracing::debug!(account = %account.as_str(), error = %e, "typing indicator not shown");
        }
    });
}

fn read(clients: &HashMap<AccountId, Arc<Client>>, (account, customer): Key, last: String) {
    let Some(client) = clients.get(&account).cloned() else {
        return;
    };
    tokio::spawn(async move {
        if let Err(e) = client.mark_read(customer.as_str(), &last).await {
            tracing::debug!(account = %account.as_str(), error = %e, "messages not marked read");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: &str) -> Key {
        (AccountId::from("acme"), CustomerId::from(c))
    }

    #[test]
    fn typing_goes_out_at_most_once_per_window_per_conversation() {
        let mut w = Windows::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let rows = [
            ("u", 0, true),
            ("u", 1_000, false),
            ("v", 1_000, true),
            ("u", 2_999, false),
            ("u", 3_000, true),
            ("u", 5_000, false),
        ];
        for (who, at, sent) in rows {
            assert_eq!(w.typing(key(who), t0 + ms(at)), sent, "{who} at {at}");
        }
    }

    #[test]
    fn a_read_in_its_window_is_held_and_the_newest_goes_when_it_ends() {
        let mut w = Windows::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(
            w.read(key("u"), "1".into(), t0),
            Some((key("u"), "1".into()))
        );
        assert_eq!(w.read(key("u"), "2".into(), t0 + ms(1_000)), None);
        assert_eq!(w.read(key("u"), "3".into(), t0 + ms(2_000)), None);
        assert_eq!(w.next(), Some(t0 + READ_EVERY));
        assert!(w.due(t0 + ms(4_999)).is_empty());
        assert_eq!(w.due(t0 + READ_EVERY), [(key("u"), "3".to_owned())]);
        assert_eq!(w.next(), None);
        // The window starts again from that send.
        assert_eq!(w.read(key("u"), "4".into(), t0 + ms(6_000)), None);
        assert_eq!(w.next(), Some(t0 + READ_EVERY + READ_EVERY));
    }
}
