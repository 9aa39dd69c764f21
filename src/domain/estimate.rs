//! How long a queued customer may wait: from recent handling times, said as a range.
//!
//! A customer told "4 minutes" who waits 9 trusts the next message less; so the estimate is a
//! phrase ("a few minutes"), and when there is nothing to go on, Baton says so.

use std::collections::VecDeque;

/// How many recent handling times an account keeps.
const RECENT: usize = 32;

/// Recent handling times of one account (accept to hand-back or close), newest last.
#[derive(Debug, Clone, Default)]
pub struct Handling {
    recent: VecDeque<u64>,
}

impl Handling {
    pub fn record(&mut self, ms: u64) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(ms);
    }

    /// The expected wait at `position` in line with `seats` conversations' worth of agents
    /// working: each seat frees up once per mean handling time. `None` without history or
    /// without anyone working.
    pub fn wait_ms(&self, position: usize, seats: u32) -> Option<u64> {
        if self.recent.is_empty() || seats == 0 {
            return None;
        }
        let mean = self.recent.iter().sum::<u64>() / self.recent.len() as u64;
        Some(mean.saturating_mul(position as u64) / u64::from(seats))
    }
}

/// A wait said the way a person would: a range, never false precision.
pub fn phrase(ms: u64) -> &'static str {
    const MINUTE: u64 = 60_000;
    match ms / MINUTE {
        0..=1 => "a minute or two",
        2..=4 => "a few minutes",
        5..=14 => "5 to 15 minutes",
        15..=29 => "15 to 30 minutes",
        30..=59 => "30 minutes to an hour",
        _ => "more than an hour",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_ranges() {
        let table = [
            (0, "a minute or two"),
            (119_999, "a minute or two"),
            (120_000, "a few minutes"),
            (299_999, "a few minutes"),
            (300_000, "5 to 15 minutes"),
            (900_000, "15 to 30 minutes"),
            (1_800_000, "30 minutes to an hour"),
            (3_600_000, "more than an hour"),
        ];
        for (ms, want) in table {
            assert_eq!(phrase(ms), want, "{ms} ms");
        }
    }

    #[test]
    fn the_estimate_scales_with_position_and_seats_and_forgets_old_times() {
        let mut h = Handling::default();
        assert_eq!(h.wait_ms(1, 4), None, "no history");
        h.record(600_000);
        h.record(1_200_000);
        assert_eq!(h.wait_ms(3, 0), None, "nobody working");
        // Mean 15 min; 3rd in line with 3 seats: one turnover.
        assert_eq!(h.wait_ms(3, 3), Some(900_000));
        assert_eq!(h.wait_ms(6, 3), Some(1_800_000));
        for _ in 0..RECENT {
            h.record(60_000);
        }
        assert_eq!(
            h.wait_ms(1, 1),
            Some(60_000),
            "only the last {RECENT} count"
        );
    }
}
