//! The live feed: outbound turns handed to a channel's outbox runner in memory, right after
//! the flush that made them durable, so the runner need not read back what was just written.
//!
//! The feed never blocks the committer: when it is full the turn is dropped from the feed (it
//! is in the store) and the runner is told to catch up by reading the store.

use crate::domain::Channel;
use crate::store::Outbound;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Batches the feed holds before it overflows.
const CAPACITY: usize = 256;

/// The committer's side, one per channel.
#[derive(Clone)]
pub struct Feed {
    tx: mpsc::Sender<Vec<Outbound>>,
    overflow: Arc<AtomicBool>,
}

/// The runner's side.
pub struct FeedRx {
    rx: mpsc::Receiver<Vec<Outbound>>,
    overflow: Arc<AtomicBool>,
}

pub fn feed() -> (Feed, FeedRx) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    let overflow = Arc::new(AtomicBool::new(false));
    (
        Feed {
            tx,
            overflow: overflow.clone(),
        },
        FeedRx { rx, overflow },
    )
}

impl Feed {
    pub fn offer(&self, turns: Vec<Outbound>) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(turns) {
            self.overflow.store(true, Ordering::Release);
        }
    }
}

impl FeedRx {
    pub async fn recv(&mut self) -> Option<Vec<Outbound>> {
        self.rx.recv().await
    }

    /// Whether turns were dropped from the feed since the last call.
    pub fn take_overflow(&self) -> bool {
        self.overflow.swap(false, Ordering::AcqRel)
    }
}

/// Every channel's feed, so the committer can route turns by channel.
#[derive(Clone, Default)]
pub struct Feeds(HashMap<Channel, Feed>);

impl Feeds {
    pub fn add(&mut self, channel: Channel) -> FeedRx {
        let (tx, rx) = feed();
        self.0.insert(channel, tx);
        rx
    }

    /// Routes turns to their channels' feeds; a channel without a runner gets nothing (its
    /// turns wait in the store).
    pub fn offer(&self, turns: Vec<Outbound>) {
        let mut by_channel: HashMap<Channel, Vec<Outbound>> = HashMap::new();
        for t in turns {
            by_channel.entry(t.key.channel).or_default().push(t);
        }
        for (channel, turns) in by_channel {
            if let Some(feed) = self.0.get(&channel) {
                feed.offer(turns);
            }
        }
    }
}
