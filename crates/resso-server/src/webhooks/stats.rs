//! What became of emitted webhook events, counted so tests and metrics can tell "delivered" from
//! "given up" from "never queued" — nothing is lost silently. Counts are of events per endpoint: an
//! event sent to two endpoints counts twice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::metrics::{Histogram, Text};

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
    /// Delivered and failed events by type (the [`super::payload::NAMES`] order).
    by_type: [(AtomicU64, AtomicU64); TYPES],
    /// Events in batches handed to delivery and not yet delivered or given up.
    sending: AtomicU64,
    /// How long each request took, answered or not.
    attempts: Histogram,
}

/// How many events of each type one batch carries.
pub type TypeCounts = [u32; TYPES];
const TYPES: usize = super::payload::NAMES.len();

impl Counters {
    /// A batch of `events`, `types` of each type, was delivered.
    pub fn delivered(&self, events: usize, types: &TypeCounts) {
        self.delivered.fetch_add(as_u64(events), Ordering::Relaxed);
        for ((delivered, _), n) in self.by_type.iter().zip(types) {
            delivered.fetch_add(u64::from(*n), Ordering::Relaxed);
        }
    }

    /// A batch of `events`, `types` of each type, was given up.
    pub fn failed(&self, events: usize, types: &TypeCounts) {
        self.failed.fetch_add(as_u64(events), Ordering::Relaxed);
        for ((_, failed), n) in self.by_type.iter().zip(types) {
            failed.fetch_add(u64::from(*n), Ordering::Relaxed);
        }
    }

    /// Delivered and failed events of each type so far.
    #[must_use]
    pub fn by_type(&self) -> [(u64, u64); TYPES] {
        self.by_type
            .each_ref()
            .map(|(d, f)| (d.load(Ordering::Relaxed), f.load(Ordering::Relaxed)))
    }

    /// Adds `events` dropped events; returns the new total, for the log line.
    pub fn dropped(&self, events: usize) -> u64 {
        let events = as_u64(events);
        self.dropped.fetch_add(events, Ordering::Relaxed) + events
    }

    /// A batch of `events` was handed to delivery.
    pub fn sending(&self, events: usize) {
        self.sending.fetch_add(as_u64(events), Ordering::Relaxed);
    }

    /// A batch of `events` handed to delivery was delivered or given up.
    pub fn sent(&self, events: usize) {
        self.sending.fetch_sub(as_u64(events), Ordering::Relaxed);
    }

    /// Events in batches being sent or waiting to be retried.
    #[must_use]
    pub fn in_delivery(&self) -> u64 {
        self.sending.load(Ordering::Relaxed)
    }

    /// One request took `took`, whatever its answer.
    pub fn attempted(&self, took: Duration) {
        self.attempts.observe(took);
    }

    /// Writes the request-duration histogram's series of `name` with `labels`.
    pub fn render_attempts(&self, text: &mut Text, name: &str, labels: &[(&str, &str)]) {
        self.attempts.render(text, name, labels);
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
