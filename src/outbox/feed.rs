//! The live feed: outbound turns handed to a channel's outbox runner in memory, right after
//! the flush that made them durable, so the runner need not read back what was just written.
//!
//! Each batch names the range of turn numbers it covers, including turns with nothing for this
//! channel, so the runner knows it has seen every turn up to the range's end and can move its
//! watermark. The feed never blocks the committer: when it is full the batch is dropped (it is
//! in the store), and the runner, seeing a gap in the ranges, catches up from the store.
//!
//! Each runner's feed also carries its way back: the sender of the [`report`] channel, on
//! which it tells the engine what became of the messages people wrote. So every runner built
//! from `Feeds::add` reports, whatever its sink.
//!
//! [`report`]: super::report

use super::report::{self, BatchTx, ReportRx, Reporter};
use crate::domain::Channel;
use crate::store::Outbound;
use foldhash::{HashMap, HashMapExt};
use std::ops::Range;
use std::sync::Mutex;

/// The outbound turns of one or more flushed engine batches, which numbered `turns`.
#[derive(Debug)]
pub struct FeedBatch {
    pub turns: Range<u64>,
    pub outbound: Vec<Outbound>,
}
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Batches the feed holds before it overflows.
const CAPACITY: usize = 256;

/// The committer's side, one per channel.
#[derive(Clone)]
pub struct Feed {
    tx: mpsc::Sender<FeedBatch>,
    overflow: Arc<AtomicBool>,
}

/// The runner's side.
pub struct FeedRx {
    rx: mpsc::Receiver<FeedBatch>,
    overflow: Arc<AtomicBool>,
    durable: Arc<AtomicU64>,
    reports: BatchTx,
}

fn feed(durable: Arc<AtomicU64>, reports: BatchTx) -> (Feed, FeedRx) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    let overflow = Arc::new(AtomicBool::new(false));
    (
        Feed {
            tx,
            overflow: overflow.clone(),
        },
        FeedRx {
            rx,
            overflow,
            durable,
            reports,
        },
    )
}

impl Feed {
    pub fn offer(&self, batch: FeedBatch) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(batch) {
            self.overflow.store(true, Ordering::Release);
        }
    }
}

impl FeedRx {
    pub async fn recv(&mut self) -> Option<FeedBatch> {
        self.rx.recv().await
    }

    /// Every turn below this is flushed: a runner reading the log must not go past it, or it
    /// could answer a message that is not yet acknowledged and might still be lost.
    pub fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// Whether turns were dropped from the feed since the last call.
    pub fn take_overflow(&self) -> bool {
        self.overflow.swap(false, Ordering::AcqRel)
    }

    /// How the runner reports what became of people's messages.
    pub fn reporter(&self) -> Reporter {
        Reporter::new(self.reports.clone())
    }
}

/// Every channel's feed, so the committer can route turns by channel, and the end of the
/// durable part of the turn log; and the one channel of reports back, for the engine to take.
#[derive(Clone)]
pub struct Feeds {
    feeds: HashMap<Channel, Feed>,
    durable: Arc<AtomicU64>,
    reports: BatchTx,
    reports_rx: Arc<Mutex<Option<ReportRx>>>,
}

impl Default for Feeds {
    fn default() -> Feeds {
        let (reports, rx) = report::channel();
        Feeds {
            feeds: HashMap::new(),
            durable: Arc::default(),
            reports,
            reports_rx: Arc::new(Mutex::new(Some(rx))),
        }
    }
}

impl Feeds {
    pub fn add(&mut self, channel: Channel) -> FeedRx {
        let (tx, rx) = feed(self.durable.clone(), self.reports.clone());
        self.feeds.insert(channel, tx);
        rx
    }

    /// The engine's end of the reports; the first caller gets it, a later one a channel on
    /// which nothing ever arrives.
    pub fn take_reports(&self) -> ReportRx {
        let taken = match self.reports_rx.lock() {
            Ok(mut rx) => rx.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        taken.unwrap_or_else(|| report::channel().1)
    }

    /// At start-up: everything already in the log is as durable as it will get.
    pub fn set_durable(&self, end: u64) {
        self.durable.fetch_max(end, Ordering::AcqRel);
    }

    /// After a flush: moves the durable end to `turns.end` and routes the turns to their
    /// channels' feeds; every feed hears of the whole range.
    pub fn offer(&self, turns: Range<u64>, outbound: Vec<Outbound>) {
        self.set_durable(turns.end);
        let mut by_channel: HashMap<Channel, Vec<Outbound>> =
            self.feeds.keys().map(|c| (*c, Vec::new())).collect();
        for o in outbound {
            if let Some(list) = by_channel.get_mut(&o.to.channel) {
                list.push(o);
            }
        }
        for (channel, outbound) in by_channel {
            if let Some(feed) = self.feeds.get(&channel) {
                feed.offer(FeedBatch {
                    turns: turns.clone(),
                    outbound,
                });
            }
        }
    }
}
