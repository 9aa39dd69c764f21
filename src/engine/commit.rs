//! Group commit: callers whose writes are applied wait here for one shared flush.
//!
//! While one flush (the journal's `fdatasync`) runs, later batches pile up in the channel; the
//! next flush takes them all. Flushing is blocking I/O, so it runs on the blocking pool, never
//! on a runtime thread. After a flush, the outbound turns it made durable go to the outbox
//! runners' live feeds.
//!
//! After a flush the committer also starts, beside the flushes and never in front of one:
//! - the moving of written records into sled (`Store::apply`), every [`APPLY_EVERY`] or once
//!   [`APPLY_BYTES`] wait, so sled takes many engine batches in one of its own;
//! - the store's barriers (sled made durable, the journal below it let go), every
//!   [`BARRIER_EVERY`] and as soon as the journal holds [`BARRIER_BYTES`], so what a crash
//!   replays stays small however fast DMs come.

use super::{EngineError, Heartbeat, Reply};
use crate::metrics::Metrics;
use crate::outbox::feed::Feeds;
use crate::store::{Barrier, Outbound, Store};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The longest a barrier waits while anything is written.
pub const BARRIER_EVERY: Duration = Duration::from_secs(10);
/// The most journal a crash should have to replay into sled. A barrier costs a sled flush and
/// `fsync`s (at 16 MiB they were an eighth of the CPU under full load); replaying 64 MiB goes
/// through the overlay in a few sled batches, a fraction of a second.
pub const BARRIER_BYTES: u64 = 64 << 20;
/// How long written records wait, at most, to be applied to sled while writes come in (sled
/// charges per batch, so many records go in one).
pub const APPLY_EVERY: Duration = Duration::from_millis(50);
/// Unapplied bytes that make an apply due sooner.
pub const APPLY_BYTES: usize = 4 << 20;

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
    let (mut barriers, mut applies) = (Beside::default(), Beside::default());
    loop {
        let next_barrier = barriers.last + BARRIER_EVERY;
        let mut group = tokio::select! {
            group = rx.recv() => match group {
                Some(group) => group,
                None => break,
            },
            _ = tokio::time::sleep_until(next_barrier) => {
                barriers.start(barrier(&store, &metrics));
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
        // A barrier applies first, so an apply is started only when no barrier is due.
        let journal_bytes = store.journal_bytes();
        metrics.journal_bytes(journal_bytes);
        if journal_bytes >= BARRIER_BYTES || barriers.last.elapsed() >= BARRIER_EVERY {
            barriers.start(barrier(&store, &metrics));
        } else if store.unapplied_bytes() >= APPLY_BYTES || applies.last.elapsed() >= APPLY_EVERY {
            applies.start(apply(&store, &metrics));
        }
    }
    applies.finish().await;
    barriers.finish().await;
}

/// A barrier: sled made durable, the journal below it let go.
fn barrier(store: &Store, metrics: &Metrics) -> impl FnOnce() + Send + 'static {
    let (store, metrics) = (store.clone(), metrics.clone());
    move || {
        let started = Instant::now();
        match store.barrier() {
            // Timed only when it had work: an idle daemon's would flatten the histogram.
            Ok(Barrier::Made) => metrics.barrier(started.elapsed()),
            Ok(Barrier::Nothing) => {}
            // The journal keeps everything meanwhile: nothing is lost, start-up replays more.
            Err(e) => tracing::error!(error = %e, "store barrier failed"),
        }
        metrics.journal_bytes(store.journal_bytes());
    }
}

/// The writes sled does not hold yet moved into it, in one batch.
fn apply(store: &Store, metrics: &Metrics) -> impl FnOnce() + Send + 'static {
    let (store, metrics) = (store.clone(), metrics.clone());
    move || {
        let started = Instant::now();
        if let Err(e) = store.apply() {
            // Still readable and in the journal; the next apply or barrier tries again.
            tracing::error!(error = %e, "applying writes to the store failed");
        }
        metrics.applied(started.elapsed());
    }
}

/// Work of one kind on the blocking pool beside the flushes, one at a time: the job running,
/// if one is, and when the last one started.
struct Beside {
    running: Option<JoinHandle<()>>,
    last: Instant,
}

impl Default for Beside {
    fn default() -> Self {
        Beside {
            running: None,
            last: Instant::now(),
        }
    }
}

impl Beside {
    /// Starts `job` on the blocking pool unless the last one is still running.
    fn start(&mut self, job: impl FnOnce() + Send + 'static) {
        if self.running.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        self.last = Instant::now();
        self.running = Some(tokio::task::spawn_blocking(job));
    }

    async fn finish(self) {
        if let Some(t) = self.running {
            let _ = t.await;
        }
    }
}
