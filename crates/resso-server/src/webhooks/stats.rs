//! What became of emitted webhook events, counted so tests and metrics can tell "delivered" from
//! "given up" from "never queued" — nothing is lost silently. Counts are of events per endpoint: an
//! event sent to two endpoints counts twice.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookStats {
    /// Events in requests an endpoint answered with 2xx.
    pub delivered: u64,
    /// Events in requests given up after retrying for `retry_for_secs` (or at shutdown).
    pub failed: u64,
    /// Events that never reached an endpoint: the queue or an endpoint's backlog was full.
    pub dropped: u64,
}

/// The live counters, shared by the handle, the dispatcher and the delivery tasks.
#[derive(Debug, Default)]
pub struct Counters {
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

impl Counters {
    pub fn delivered(&self, events: usize) {
        self.delivered.fetch_add(as_u64(events), Ordering::Relaxed);
    }

    pub fn failed(&self, events: usize) {
        self.failed.fetch_add(as_u64(events), Ordering::Relaxed);
    }

    /// Adds `events` dropped events; returns the new total, for the log line.
    pub fn dropped(&self, events: usize) -> u64 {
        let events = as_u64(events);
        self.dropped.fetch_add(events, Ordering::Relaxed) + events
    }

    #[must_use]
    pub fn snapshot(&self) -> WebhookStats {
        WebhookStats {
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
