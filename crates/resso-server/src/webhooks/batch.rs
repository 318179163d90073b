//! Batching, as a pure state machine over caller-supplied instants: each endpoint collects rendered
//! events into one open batch, which is ready when `batch_window_ms` has passed since its first event
//! or when it holds `batch_max_events`. A ready batch becomes one request.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

/// Events bound for one endpoint in one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// Index into the endpoint table.
    pub endpoint: usize,
    /// `time_ms` of the body: when its first event happened.
    pub time_ms: u64,
    /// Rendered JSON objects, in arrival order.
    pub events: Vec<Arc<str>>,
}

#[derive(Debug)]
struct Open {
    due: Instant,
    time_ms: u64,
    events: Vec<Arc<str>>,
}

/// One open batch per endpoint.
#[derive(Debug)]
pub struct Batcher {
    window: Duration,
    max_events: usize,
    open: Vec<Option<Open>>,
}

impl Batcher {
    /// Batches for `endpoints` endpoints; `max_events` below 1 counts as 1.
    #[must_use]
    pub fn new(endpoints: usize, window: Duration, max_events: usize) -> Self {
        Self {
            window,
            max_events: max_events.max(1),
            open: (0..endpoints).map(|_| None).collect(),
        }
    }

    /// Adds `event` (which happened at `time_ms`, arriving at `now`) to `endpoint`'s batch; returns
    /// the batch when this filled it (or when there is no window to wait for).
    pub fn push(
        &mut self,
        endpoint: usize,
        event: Arc<str>,
        time_ms: u64,
        now: Instant,
    ) -> Option<Ready> {
        let slot = &mut self.open[endpoint];
        let open = slot.get_or_insert_with(|| Open {
            due: now + self.window,
            time_ms,
            events: Vec::new(),
        });
        open.events.push(event);
        if open.events.len() >= self.max_events || self.window.is_zero() {
            return slot.take().map(|open| ready(endpoint, open));
        }
        None
    }

    /// When the earliest open batch is due, if any is open.
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        self.open.iter().flatten().map(|open| open.due).min()
    }

    /// Takes every batch due by `now`.
    pub fn take_due(&mut self, now: Instant) -> Vec<Ready> {
        self.take_where(|open| open.due <= now)
    }

    /// Takes every open batch, due or not (at shutdown).
    pub fn take_all(&mut self) -> Vec<Ready> {
        self.take_where(|_| true)
    }

    fn take_where(&mut self, pick: impl Fn(&Open) -> bool) -> Vec<Ready> {
        let mut taken = Vec::new();
        for (endpoint, slot) in self.open.iter_mut().enumerate() {
            if slot.as_ref().is_some_and(&pick) {
                taken.extend(slot.take().map(|open| ready(endpoint, open)));
            }
        }
        taken
    }
}

fn ready(endpoint: usize, open: Open) -> Ready {
    Ready {
        endpoint,
        time_ms: open.time_ms,
        events: open.events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_millis(100);

    fn ev(text: &str) -> Arc<str> {
        Arc::from(text)
    }

    #[test]
    fn flushes_when_the_window_ends_counting_from_the_first_event() {
        let (mut b, t0) = (Batcher::new(2, WINDOW, 10), Instant::now());
        assert_eq!(b.push(0, ev("a"), 7, t0), None);
        assert_eq!(b.push(0, ev("b"), 9, t0 + WINDOW / 2), None);
        assert_eq!(b.push(1, ev("c"), 8, t0 + WINDOW / 2), None);
        assert_eq!(b.next_deadline(), Some(t0 + WINDOW));
        assert!(b
            .take_due(t0 + WINDOW - Duration::from_millis(1))
            .is_empty());
        let due = b.take_due(t0 + WINDOW);
        assert_eq!(
            due,
            [Ready {
                endpoint: 0,
                time_ms: 7,
                events: vec![ev("a"), ev("b")]
            }]
        );
        assert_eq!(b.next_deadline(), Some(t0 + WINDOW + WINDOW / 2));
        assert_eq!(b.take_all().len(), 1);
        assert_eq!(b.next_deadline(), None);
    }

    #[test]
    fn flushes_when_full() {
        let (mut b, t0) = (Batcher::new(1, WINDOW, 2), Instant::now());
        assert_eq!(b.push(0, ev("a"), 1, t0), None);
        let full = b.push(0, ev("b"), 2, t0).expect("full");
        assert_eq!((full.time_ms, full.events.len()), (1, 2));
        assert_eq!(b.next_deadline(), None);
    }

    #[test]
    fn zero_window_or_size_sends_each_event_alone() {
        let t0 = Instant::now();
        let mut b = Batcher::new(1, Duration::ZERO, 50);
        assert!(b.push(0, ev("a"), 1, t0).is_some());
        let mut b = Batcher::new(1, WINDOW, 0);
        assert!(b.push(0, ev("a"), 1, t0).is_some());
    }
}
