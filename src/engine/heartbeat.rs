//! The engine loop's heartbeat: the loop stamps it every turn and pings systemd's watchdog
//! from there, so a wedged engine (a store write or a group commit that never returns) stops
//! the pings and gets the daemon restarted; `/readyz` reads the same stamp.
//!
//! The pings come from the loop itself, never from a side task: a task of its own would go on
//! pinging while the engine is stuck. A journal sync that does not return (a disk gone away)
//! leaves the loop turning for a while, batches piling up behind the flush, but nothing is
//! acknowledged: the committer marks each flush here, and one running longer than half the
//! interval stops the pings and makes the daemon unready just the same.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The interval assumed when systemd set no watchdog: the shipped unit's `WatchdogSec`, so
/// `/readyz` judges the loop the same way with or without systemd.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// Shared between the engine loop (which stamps it) and the readiness probe (which reads it).
#[derive(Clone, Debug)]
pub struct Heartbeat(Arc<Beat>);

#[derive(Debug)]
struct Beat {
    origin: Instant,
    /// When the loop last turned, in milliseconds since `origin`.
    turned: AtomicU64,
    /// When the watchdog was last pinged, in milliseconds since `origin`.
    pinged: AtomicU64,
    /// When the flush in progress started, in milliseconds since `origin` (plus one, so that
    /// 0 means none is running).
    flushing: AtomicU64,
    interval: Duration,
    /// Whether systemd asked for pings (`WATCHDOG_USEC` for this process).
    watchdog: bool,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat::new(None)
    }
}

impl Heartbeat {
    /// The watchdog systemd set for this process, if any (`WATCHDOG_USEC`, `WATCHDOG_PID`).
    pub fn from_env() -> Heartbeat {
        let mut usec = 0;
        let enabled = sd_notify::watchdog_enabled(false, &mut usec) && usec > 0;
        Heartbeat::new(enabled.then(|| Duration::from_micros(usec)))
    }

    /// With `watchdog`, pings systemd within it; without, only feeds `/readyz`.
    pub fn new(watchdog: Option<Duration>) -> Heartbeat {
        Heartbeat(Arc::new(Beat {
            origin: Instant::now(),
            turned: AtomicU64::new(0),
            pinged: AtomicU64::new(0),
            flushing: AtomicU64::new(0),
            interval: watchdog.unwrap_or(DEFAULT_INTERVAL),
            watchdog: watchdog.is_some(),
        }))
    }

    /// How often the loop must wake even with nothing to do: a quarter of the interval, so
    /// the gap between two pings stays within half of it and an idle loop never looks stale.
    pub fn wake_every(&self) -> Duration {
        (self.0.interval / 4).max(Duration::from_millis(1))
    }

    /// The loop turned: stamps the time, and pings the watchdog unless it was pinged less
    /// than a quarter of the interval ago (a busy loop must not flood systemd).
    pub fn beat(&self) {
        let now = self.elapsed_ms();
        self.0.turned.store(now, Ordering::Release);
        if !self.0.watchdog || self.flush_stuck(now).is_some() {
            return;
        }
        let last = self.0.pinged.load(Ordering::Acquire);
        if last != 0 && now.saturating_sub(last) < millis(self.wake_every()) {
            return;
        }
        // Not 0, so the first beat always pings.
        self.0.pinged.store(now.max(1), Ordering::Release);
        if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]) {
            tracing::warn!(error = %e, "cannot ping the systemd watchdog");
        }
    }

    /// How long the loop has not turned, or a flush has not returned, when that is longer
    /// than half the interval.
    pub fn stalled(&self) -> Option<Duration> {
        let now = self.elapsed_ms();
        let since =
            Duration::from_millis(now.saturating_sub(self.0.turned.load(Ordering::Acquire)));
        let turning = (since > self.0.interval / 2).then_some(since);
        turning.max(self.flush_stuck(now))
    }

    /// A flush (the journal's sync) begins: see the module docs.
    pub fn flush_started(&self) {
        self.0
            .flushing
            .store(self.elapsed_ms().saturating_add(1), Ordering::Release);
    }

    pub fn flush_ended(&self) {
        self.0.flushing.store(0, Ordering::Release);
    }

    /// How long ago the watchdog was last pinged (`None` before the first ping).
    pub fn since_ping(&self) -> Option<Duration> {
        let at = self.0.pinged.load(Ordering::Acquire);
        (at != 0).then(|| Duration::from_millis(self.elapsed_ms().saturating_sub(at)))
    }

    /// How long the flush in progress has run, when that is longer than half the interval.
    fn flush_stuck(&self, now: u64) -> Option<Duration> {
        let started = self.0.flushing.load(Ordering::Acquire);
        if started == 0 {
            return None;
        }
        let running = Duration::from_millis(now.saturating_sub(started - 1));
        (running > self.0.interval / 2).then_some(running)
    }

    fn elapsed_ms(&self) -> u64 {
        millis(self.0.origin.elapsed())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_loop_wakes_within_a_quarter_and_is_not_stale() {
        let beat = Heartbeat::new(Some(Duration::from_millis(400)));
        assert_eq!(beat.wake_every(), Duration::from_millis(100));
        beat.beat();
        assert_eq!(beat.stalled(), None);
    }

    #[test]
    fn a_loop_that_stops_turning_is_stale_after_half_the_interval() {
        let beat = Heartbeat::new(Some(Duration::from_millis(40)));
        beat.beat();
        std::thread::sleep(Duration::from_millis(60));
        let stalled = beat
            .stalled()
            .expect("stale after 60 ms of a 40 ms watchdog");
        assert!(stalled >= Duration::from_millis(20));
        beat.beat();
        assert_eq!(beat.stalled(), None);
    }

    #[test]
    fn a_flush_that_does_not_return_stops_the_pings_and_is_stale() {
        let beat = Heartbeat::new(Some(Duration::from_millis(40)));
        beat.beat();
        let first = beat.since_ping().expect("the first beat pings");
        beat.flush_started();
        std::thread::sleep(Duration::from_millis(60));
        beat.beat();
        // The loop turned, but the flush is stuck: no ping, and stale.
        assert!(beat.since_ping().unwrap() >= first + Duration::from_millis(50));
        assert!(beat.stalled().is_some());
        beat.flush_ended();
        beat.beat();
        assert_eq!(beat.stalled(), None);
        assert!(beat.since_ping().unwrap() < Duration::from_millis(20));
    }
}
