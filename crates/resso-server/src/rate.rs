//! A fixed one-second window counter, used for client events per connection and HTTP API requests
//! per app. Pusher's limits are per second, and a fixed window is what they describe.

use tokio::time::Instant;

/// Counts events in the current one-second window.
#[derive(Debug)]
pub struct RateWindow {
    per_second: u32,
    started: Option<Instant>,
    count: u32,
}

impl RateWindow {
    #[must_use]
    pub const fn new(per_second: u32) -> Self {
        Self {
            per_second,
            started: None,
            count: 0,
        }
    }

    /// Whether the window started less than a second before `now` (its count still matters).
    #[must_use]
    pub fn live(&self, now: Instant) -> bool {
        self.started
            .is_some_and(|s| now.duration_since(s).as_secs() < 1)
    }

    /// Counts one event at `now`; returns whether it is within the limit.
    pub fn allow(&mut self, now: Instant) -> bool {
        let fresh = self
            .started
            .is_none_or(|s| now.duration_since(s).as_secs() >= 1);
        if fresh {
            self.started = Some(now);
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count <= self.per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_n_per_second() {
        let mut w = RateWindow::new(10);
        let t0 = Instant::now();
        assert!((0..10).all(|_| w.allow(t0)));
        assert!(!w.allow(t0 + Duration::from_millis(500)));
        assert!(w.allow(t0 + Duration::from_secs(1)));
    }
}
