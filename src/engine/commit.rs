//! Group commit: callers whose writes are applied wait here for one shared flush.
//!
//! While one flush runs, later waiters pile up in the channel; the next flush takes them all.
//! Flushing is blocking I/O, so it runs on the blocking pool, never on a runtime thread.

use super::{EngineError, Intake, Reply};
use crate::store::Store;
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};

type Waiters = Vec<(Reply<Intake>, Intake)>;

pub struct Committer {
    tx: mpsc::Sender<Waiters>,
    task: tokio::task::JoinHandle<()>,
}

impl Committer {
    /// Starts the flusher task; `flushed` is notified after every successful flush so the
    /// outbox only ever sends what is durable.
    pub fn spawn(store: Store, flushed: Arc<Notify>) -> Committer {
        let (tx, rx) = mpsc::channel(1024);
        let task = tokio::spawn(run(store, rx, flushed));
        Committer { tx, task }
    }

    /// Lets the flusher finish what it was given and waits for it.
    pub async fn close(self) {
        drop(self.tx);
        let _ = self.task.await;
    }

    /// Hands waiters to the flusher; they hear back once their writes are durable.
    pub async fn commit(&self, waiters: Waiters) {
        if waiters.is_empty() {
            return;
        }
        if let Err(mpsc::error::SendError(waiters)) = self.tx.send(waiters).await {
            for (reply, _) in waiters {
                let _ = reply.send(Err(EngineError::Unavailable));
            }
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Waiters>, flushed: Arc<Notify>) {
    let mut group: Waiters = Vec::new();
    while let Some(first) = rx.recv().await {
        group.extend(first);
        while let Ok(more) = rx.try_recv() {
            group.extend(more);
        }
        let s = store.clone();
        let result = tokio::task::spawn_blocking(move || s.flush()).await;
        let ok = matches!(result, Ok(Ok(_)));
        if ok {
            flushed.notify_one();
        } else {
            tracing::error!(?result, "flush failed; acknowledging nothing");
        }
        for (reply, intake) in group.drain(..) {
            let _ = reply.send(if ok {
                Ok(intake)
            } else {
                Err(EngineError::Unavailable)
            });
        }
    }
}
