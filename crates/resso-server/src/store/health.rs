//! Whether the database answers: an outage and the recovery are each logged once, and while it is
//! down lookups are not sent (unknown keys are refused at once) and the refresh backs off.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The refresh's first wait after a failure, doubled on each further one up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Health {
    down: AtomicBool,
}

impl Health {
    #[must_use]
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// A query failed or timed out: logged if the database was up.
    pub fn failed(&self, error: &dyn std::fmt::Display) {
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                %error,
                "app store unreachable: apps already looked up keep serving, other keys are \
                 refused (4001) until it answers again"
            );
        }
    }

    /// A query answered: logged if the database was down.
    pub fn answered(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("app store reachable again: its apps are looked up as before");
        }
    }
}

/// The wait after a failed refresh that followed a wait of `last`.
#[must_use]
pub fn backoff(last: Option<Duration>) -> Duration {
    last.map_or(MIN_BACKOFF, |d| (d * 2).min(MAX_BACKOFF))
}
