//! The `--debug` log: one task per app watches the app's feed, like a console does, and writes
//! its entries as log lines — so an entry emitted under the registry's lock costs that lock a
//! queue push, never a write to a slow terminal. Lines are sampled per app: a busy app would
//! otherwise write a line per event and connection, drowning the log and costing more than the
//! traffic. Each app logs at most [`LINES_PER_SECOND`] lines a second; the lines skipped are
//! counted and said in one line when the next second's first line is logged. The console's feed
//! is not sampled (it is bounded on its own).

use std::time::{Duration, Instant};

use resso_protocol::AppId;
use tokio_util::sync::CancellationToken;

use super::{Feed, Next};

/// Writes `feed`'s entries as `resso::debug` lines for `app` until `stop`.
pub async fn write(app: AppId, mut feed: Feed, stop: CancellationToken) {
    let mut sampler = Sampler::new(Instant::now());
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => return,
            next = feed.next() => next,
        };
        let record = match next {
            Next::Entry(record) => record,
            Next::Dropped(lost) => {
                tracing::info!(target: "resso::debug", %app, "{lost} debug lines lost: the log fell behind");
                continue;
            }
        };
        match sampler.admit(Instant::now()) {
            Admit::Skip => continue,
            Admit::LogAfterSkipping(skipped) => tracing::info!(
                target: "resso::debug",
                %app,
                "{skipped} debug lines not written (more than {LINES_PER_SECOND} a second)"
            ),
            Admit::Log => {}
        }
        tracing::info!(target: "resso::debug", %app, "{}", record.entry);
    }
}

/// The most `--debug` lines one app writes in a second.
pub const LINES_PER_SECOND: u32 = 200;

/// One app's current second of debug lines.
#[derive(Debug)]
struct Sampler {
    since: Instant,
    logged: u32,
    skipped: u64,
}

/// Whether to log a line.
#[derive(Debug, PartialEq, Eq)]
enum Admit {
    Log,
    /// Log it, after saying that this many lines were skipped before it.
    LogAfterSkipping(u64),
    Skip,
}

impl Sampler {
    const fn new(now: Instant) -> Self {
        Self {
            since: now,
            logged: 0,
            skipped: 0,
        }
    }

    /// Whether a line may be logged at `now`.
    fn admit(&mut self, now: Instant) -> Admit {
        if now.duration_since(self.since) >= Duration::from_secs(1) {
            self.since = now;
            self.logged = 0;
        }
        if self.logged >= LINES_PER_SECOND {
            self.skipped += 1;
            return Admit::Skip;
        }
        self.logged += 1;
        match std::mem::take(&mut self.skipped) {
            0 => Admit::Log,
            n => Admit::LogAfterSkipping(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_logs_its_share_then_the_next_says_how_many_were_skipped() {
        let start = Instant::now();
        let mut sampler = Sampler::new(start);
        for _ in 0..LINES_PER_SECOND {
            assert_eq!(sampler.admit(start), Admit::Log);
        }
        for _ in 0..7 {
            assert_eq!(
                sampler.admit(start + Duration::from_millis(999)),
                Admit::Skip
            );
        }
        let next = start + Duration::from_secs(1);
        assert_eq!(sampler.admit(next), Admit::LogAfterSkipping(7));
        assert_eq!(sampler.admit(next), Admit::Log);
    }
}
