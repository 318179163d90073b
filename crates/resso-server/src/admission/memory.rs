//! Admission under memory pressure (`[server.limits] max_rss_mb`): a task samples the process's
//! resident memory twice a second, and while it is above the ceiling new connections are refused
//! (Pusher: 4100 over capacity; HTTP: 503) — the connected clients keep being served.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::metrics::proc_bytes;

/// How often resident memory is read.
const SAMPLE_EVERY: Duration = Duration::from_millis(500);

/// Whether the process is above its memory ceiling; cheap to read on every accept.
#[derive(Debug, Default)]
pub struct MemoryCeiling {
    over: AtomicBool,
}

impl MemoryCeiling {
    /// Whether new connections are to be refused.
    pub fn is_over(&self) -> bool {
        self.over.load(Relaxed)
    }

    /// Samples resident memory against `ceiling_bytes` until `stop`; logs each crossing once.
    pub async fn watch(self: Arc<Self>, ceiling_bytes: u64, stop: CancellationToken) {
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let Some(rss) = resident_bytes() else {
                continue;
            };
            let over = rss > ceiling_bytes;
            if self.over.swap(over, Relaxed) != over {
                let mib = rss >> 20;
                if over {
                    tracing::warn!(
                        rss_mib = mib,
                        "memory ceiling reached: refusing new connections"
                    );
                } else {
                    tracing::info!(
                        rss_mib = mib,
                        "back under the memory ceiling: admitting connections"
                    );
                }
            }
        }
    }
}

/// The process's resident memory (`VmRSS` of `/proc/self/status`), where Linux tells it.
pub fn resident_bytes() -> Option<u64> {
    proc_bytes("/proc/self/status", "VmRSS:")
}

/// The machine's memory and how much of it is available (`/proc/meminfo`), in bytes.
pub fn machine_bytes() -> Option<(u64, u64)> {
    let total = proc_bytes("/proc/meminfo", "MemTotal:")?;
    let available = proc_bytes("/proc/meminfo", "MemAvailable:")?;
    Some((total, available))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read() {
        assert!(resident_bytes().is_some_and(|b| b > 1 << 20));
    }

    #[tokio::test]
    async fn a_ceiling_below_the_process_refuses_and_a_high_one_admits() {
        let stop = CancellationToken::new();
        let low = Arc::new(MemoryCeiling::default());
        let task = tokio::spawn(low.clone().watch(1, stop.clone()));
        while !low.is_over() {
            tokio::task::yield_now().await;
        }
        stop.cancel();
        task.await.unwrap();
        let high = Arc::new(MemoryCeiling::default());
        let stop = CancellationToken::new();
        let task = tokio::spawn(high.clone().watch(u64::MAX, stop.clone()));
        tokio::time::sleep(SAMPLE_EVERY * 2).await;
        assert!(!high.is_over());
        stop.cancel();
        task.await.unwrap();
    }
}
