//! Group commit: callers whose writes are applied wait here for one shared flush.
//!
//! While one flush runs, later batches pile up in the channel; the next flush takes them all.
//! Flushing is blocking I/O, so it runs on the blocking pool, never on a runtime thread. After a
//! flush, the outbound turns it made durable go to the outbox runners' live feeds.

use super::{EngineError, Intake, Reply};
use crate::outbox::feed::Feeds;
use crate::store::{Outbound, Store};
use tokio::sync::mpsc;

pub type Waiters = Vec<(Reply<Intake>, Intake)>;

/// What one engine batch left to do once its writes are applied.
#[derive(Default)]
pub struct Pending {
    pub waiters: Waiters,
    pub outgoing: Vec<Outbound>,
}

pub struct Committer {
    tx: mpsc::Sender<Pending>,
    task: tokio::task::JoinHandle<()>,
}

impl Committer {
    /// Starts the flusher task; the outbox runners hear of a turn only after it is durable.
    pub fn spawn(store: Store, feeds: Feeds) -> Committer {
        let (tx, rx) = mpsc::channel(1024);
        let task = tokio::spawn(run(store, rx, feeds));
        Committer { tx, task }
    }

    /// Lets the flusher finish what it was given and waits for it.
    pub async fn close(self) {
        drop(self.tx);
        let _ = self.task.await;
    }

    /// Hands a batch to the flusher; its callers hear back once their writes are durable.
    /// Fails only when the flusher stopped after a failed flush: the callers are refused.
    pub async fn commit(&self, pending: Pending) -> Result<(), Stopped> {
        if pending.waiters.is_empty() && pending.outgoing.is_empty() {
            return Ok(());
        }
        self.tx
            .send(pending)
            .await
            .map_err(|mpsc::error::SendError(pending)| {
                refuse(pending.waiters);
                Stopped
            })
    }
}

/// The store failed under the engine: memory may be ahead of disk, so Baton must restart.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the store failed; baton must restart to reload its state from disk")]
pub struct Stopped;

fn refuse(waiters: Waiters) {
    for (reply, _) in waiters {
        let _ = reply.send(Err(EngineError::Unavailable));
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Pending>, feeds: Feeds) {
    let mut group = Pending::default();
    while let Some(first) = rx.recv().await {
        group.waiters.extend(first.waiters);
        group.outgoing.extend(first.outgoing);
        while let Ok(more) = rx.try_recv() {
            group.waiters.extend(more.waiters);
            group.outgoing.extend(more.outgoing);
        }
        let s = store.clone();
        let result = tokio::task::spawn_blocking(move || s.flush()).await;
        let ok = matches!(result, Ok(Ok(_)));
        if ok {
            feeds.offer(std::mem::take(&mut group.outgoing));
        } else {
            // The turns stay in the store; the outbox finds them when it next reads it.
            tracing::error!(?result, "flush failed; acknowledging nothing");
            group.outgoing.clear();
        }
        for (reply, intake) in group.waiters.drain(..) {
            let _ = reply.send(if ok {
                Ok(intake)
            } else {
                Err(EngineError::Unavailable)
            });
        }
    }
}
