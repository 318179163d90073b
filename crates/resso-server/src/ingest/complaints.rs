//! Counting and rate-limited logging of dropped messages, so a publisher flooding the channel with
//! garbage fills neither the log nor anything else: the first complaint is logged at once, later
//! ones at most once per [`INTERVAL`] with how many were suppressed meanwhile.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The shortest time between two logged complaints.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// One app's ingestion counters; shared with the [`super::Ingest`] handle.
#[derive(Debug, Default)]
pub struct Stats {
    delivered: AtomicU64,
    rejected: AtomicU64,
    outages: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages delivered to the app's channel (whether or not anyone here was subscribed).
    pub delivered: u64,
    /// Messages dropped: without the prefix, not JSON, of the wrong shape, or a bad name.
    pub rejected: u64,
    /// Times the Redis connection failed or could not be made.
    pub outages: u64,
}

impl Stats {
    pub fn delivered(&self) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub fn outage(&self) {
        self.outages.fetch_add(1, Ordering::Relaxed);
    }

    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts {
            delivered: self.delivered.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            outages: self.outages.load(Ordering::Relaxed),
        }
    }
}

/// Decides which complaints are logged.
#[derive(Debug, Default)]
pub struct Throttle {
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    /// Whether to log a complaint made at `now`: `Some(n)` with the `n` complaints suppressed
    /// since the last logged one, `None` to stay quiet.
    pub fn allow(&mut self, now: Instant) -> Option<u64> {
        if self.last.is_some_and(|last| now < last + INTERVAL) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_complaint_per_interval() {
        let start = Instant::now();
        let mut t = Throttle::default();
        assert_eq!(t.allow(start), Some(0));
        for i in 1..=5 {
            assert_eq!(t.allow(start + Duration::from_secs(i)), None);
        }
        assert_eq!(t.allow(start + INTERVAL), Some(5));
        assert_eq!(t.allow(start + INTERVAL), None);
        assert_eq!(t.allow(start + INTERVAL * 3), Some(1));
    }

    #[test]
    fn stats_count() {
        let s = Stats::default();
        s.delivered();
        s.rejected();
        s.rejected();
        s.outage();
        let want = Counts {
            delivered: 1,
            rejected: 2,
            outages: 1,
        };
        assert_eq!(s.counts(), want);
    }
}
