//! Group commit: callers whose writes are applied wait here for one shared flush.
//!
//! While one flush (the journal's `fdatasync`) runs, later batches pile up in the channel; the
//! next flush takes them all. Flushing is blocking I/O, so it runs on the blocking pool, never
//! on a runtime thread. After a flush, the outbound turns it made durable go to the outbox
//! runners' live feeds.
//!
//! The committer also starts the store's barriers (sled made durable, the journal below it let
//! go): every [`BARRIER_EVERY`], and as soon as the journal holds [`BARRIER_BYTES`], so what a
//! crash replays stays small however fast DMs come. A barrier runs beside the flushes, never
//! in front of one.

use super::{EngineError, Heartbeat, Reply};
use crate::metrics::Metrics;
use crate::outbox::feed::Feeds;
use crate::store::{Outbound, Store};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The longest a barrier waits while anything is written.
pub const BARRIER_EVERY: Duration = Duration::from_secs(10);
/// The most journal a crash should have to replay into sled.
pub const BARRIER_BYTES: u64 = 16 << 20;

/// Told, once, whether the writes it waited for are durable.
pub type Waiter = Box<dyn FnOnce(Result<(), EngineError>) + Send>;
pub type Waiters = Vec<Waiter>;

/// A waiter that answers `reply` with `value` once durable.
pub fn answer<T: Send + 'static>(reply: Reply<T>, value: T) -> Waiter {
    Box::new(move |durable| {
        let _ = reply.send(durable.map(|()| value));
    })
}

/// What one engine batch left to do once its writes are applied.
#[derive(Default)]
pub struct Pending {
    pub waiters: Waiters,
    /// The batch's turns with something to send.
    pub outgoing: Vec<Outbound>,
    /// The batch numbered turns `first_turn..end_turn`.
    pub first_turn: u64,
    pub end_turn: u64,
}

pub struct Committer {
    tx: mpsc::Sender<Pending>,
    task: tokio::task::JoinHandle<()>,
}

impl Committer {
    /// Starts the flusher task; the outbox runners hear of a turn only after it is durable.
    /// Each flush is marked on `heartbeat`, so one that never returns is noticed.
    pub fn spawn(store: Store, feeds: Feeds, heartbeat: Heartbeat, metrics: Metrics) -> Committer {
        let (tx, rx) = mpsc::channel(1024);
        let task = tokio::spawn(run(store, rx, feeds, heartbeat, metrics));
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
        if pending.waiters.is_empty() && pending.first_turn == pending.end_turn {
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
    for w in waiters {
        w(Err(EngineError::Unavailable));
    }
}

async fn run(
    store: Store,
    mut rx: mpsc::Receiver<Pending>,
    feeds: Feeds,
    heartbeat: Heartbeat,
    metrics: Metrics,
) {
    let mut barriers = Barriers::default();
    loop {
        let next_barrier = barriers.last + BARRIER_EVERY;
        let mut group = tokio::select! {
            group = rx.recv() => match group {
                Some(group) => group,
                None => break,
            },
            _ = tokio::time::sleep_until(next_barrier) => {
                barriers.start(&store);
                continue;
            }
        };
        while let Ok(more) = rx.try_recv() {
            group.waiters.extend(more.waiters);
            group.outgoing.extend(more.outgoing);
            group.end_turn = more.end_turn;
        }
        let s = store.clone();
        let started = Instant::now();
        heartbeat.flush_started();
        let result = tokio::task::spawn_blocking(move || s.flush()).await;
        heartbeat.flush_ended();
        metrics.flushed(started.elapsed(), group.waiters.len());
        if !matches!(result, Ok(Ok(_))) {
            // Stop: the engine's next hand-over fails and it stops too. Nothing of this group
            // was acknowledged; what did reach the disk is found again at start-up.
            tracing::error!(?result, "flush failed; acknowledging nothing");
            refuse(group.waiters);
            return;
        }
        feeds.offer(group.first_turn..group.end_turn, group.outgoing);
        for w in group.waiters {
            w(Ok(()));
        }
        if store.journal_bytes() >= BARRIER_BYTES || barriers.last.elapsed() >= BARRIER_EVERY {
            barriers.start(&store);
        }
    }
    barriers.finish().await;
}

/// The barrier running, if one is, and when the last one started.
struct Barriers {
    running: Option<JoinHandle<()>>,
    last: Instant,
}

impl Default for Barriers {
    fn default() -> Self {
        Barriers {
            running: None,
            last: Instant::now(),
        }
    }
}

impl Barriers {
    /// Starts a barrier on the blocking pool unless one is running.
    fn start(&mut self, store: &Store) {
        if self.running.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        self.last = Instant::now();
        let store = store.clone();
        self.running = Some(tokio::task::spawn_blocking(move || {
            if let Err(e) = store.barrier() {
                // The journal keeps everything meanwhile: nothing is lost, start-up replays more.
                tracing::error!(error = %e, "store barrier failed");
            }
        }));
    }

    async fn finish(self) {
        if let Some(t) = self.running {
            let _ = t.await;
        }
    }
}
