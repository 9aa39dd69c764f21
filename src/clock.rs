//! Wall-clock time for the core, driven by tokio's clock so paused-time tests are exact.

use crate::domain::Timestamp;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Milliseconds since the epoch, advancing with `tokio::time` (which tests can pause).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch_ms: u64,
    base: Instant,
}

impl Clock {
    pub fn system() -> Clock {
        let epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Clock {
            epoch_ms,
            base: Instant::now(),
        }
    }

    pub fn now(&self) -> Timestamp {
        Timestamp(self.epoch_ms + self.base.elapsed().as_millis() as u64)
    }

    /// The tokio instant at which `now()` reaches `at` (now, if it has).
    pub fn instant(&self, at: Timestamp) -> Instant {
        let from_base = at.0.saturating_sub(self.epoch_ms);
        self.base + std::time::Duration::from_millis(from_base)
    }
}
