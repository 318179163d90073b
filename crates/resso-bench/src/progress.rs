//! The once-a-second progress line on stderr: what the run is doing, connection and delivery rates,
//! the last second's p99, and the server's and harness's CPU and the server's RSS.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::procstat::{self, CpuMark};
use crate::stats::{self, counters, read};

/// A running progress printer; stops when dropped.
pub struct Progress {
    label: Arc<Mutex<String>>,
    stop: CancellationToken,
}

impl Progress {
    /// Starts printing (unless `quiet`), measuring the server at `pid` if known.
    #[must_use]
    pub fn start(pid: Option<u32>, quiet: bool) -> Self {
        let progress = Self {
            label: Arc::default(),
            stop: CancellationToken::new(),
        };
        if !quiet {
            let (label, stop) = (progress.label.clone(), progress.stop.clone());
            tokio::spawn(async move {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = print_every_second(pid, &label) => {}
                }
            });
        }
        progress
    }

    /// Names what the run is doing now.
    pub fn set(&self, label: impl Into<String>) {
        *self.label.lock().unwrap_or_else(PoisonError::into_inner) = label.into();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[derive(Clone, Copy)]
struct Snapshot {
    subscribed: u64,
    disconnected: u64,
    errors: u64,
    published: u64,
    deliveries: u64,
    cpu: CpuMark,
}

impl Snapshot {
    fn now(pid: Option<u32>) -> Self {
        let c = counters();
        Self {
            subscribed: read(&c.subscribed),
            disconnected: read(&c.disconnected),
            errors: read(&c.connect_errors),
            published: read(&c.published_ok) + read(&c.publish_errors),
            deliveries: read(&c.deliveries),
            cpu: CpuMark::now(pid),
        }
    }
}

async fn print_every_second(pid: Option<u32>, label: &Mutex<String>) {
    let began = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = Snapshot::now(pid);
    loop {
        tick.tick().await;
        let now = Snapshot::now(pid);
        let cpu = last.cpu.until(&now.cpu);
        let secs = cpu.wall_secs.max(1e-3);
        let per_sec = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / secs;
        let p99 = stats::take_interval().value_at_quantile(0.99) as f64 / 1000.0;
        let server = match (cpu.server_cores(), pid.and_then(procstat::rss_kib)) {
            (Some(cores), Some(rss)) => {
                format!("{:.0}% {:.0}MiB", cores * 100.0, rss as f64 / 1024.0)
            }
            _ => "?".to_owned(),
        };
        let label = label.lock().unwrap_or_else(PoisonError::into_inner).clone();
        eprintln!(
            "[{:>4.0}s {label}] conns {} (+{:.0}/s, err {}) | pub {:.0}/s | deliv {:.0}/s p99 {p99:.2}ms | server {server} | harness {:.0}%",
            began.elapsed().as_secs_f64(),
            now.subscribed.saturating_sub(now.disconnected),
            per_sec(last.subscribed, now.subscribed),
            now.errors,
            per_sec(last.published, now.published),
            per_sec(last.deliveries, now.deliveries),
            cpu.harness_cores() * 100.0,
        );
        last = now;
    }
}
