//! The soak's samples: every few seconds the server's RSS and open fds from `/proc/<pid>`, its
//! live tokio tasks and connections from `GET /debug/stats`, and the healthy deliveries expected
//! and received so far — kept for the verdict and appended as JSON lines.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use super::Live;
use crate::procstat;

/// One reading.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub kind: &'static str,
    /// What the soak was doing: `baseline`, `churn`, `settled`.
    pub phase: &'static str,
    /// Seconds since churn started (negative before).
    pub t_s: f64,
    pub rss_kib: Option<u64>,
    pub fds: Option<u64>,
    pub tasks: Option<u64>,
    pub connections: Option<u64>,
    pub healthy_expected: u64,
    pub healthy_received: u64,
    pub churn_cycles: u64,
    pub slow_closed_4100: u64,
}

/// Reads the server's state.
pub struct Sampler {
    pid: Option<u32>,
    client: reqwest::Client,
    stats_url: String,
    epoch: Instant,
}

impl Sampler {
    /// A sampler of the server `pid` whose HTTP API is at `http_base`; `t_s` counts from `epoch`.
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn new(pid: Option<u32>, http_base: &str, epoch: Instant) -> anyhow::Result<Self> {
        Ok(Self {
            pid,
            client: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(5))
                .build()?,
            stats_url: format!("{http_base}/debug/stats"),
            epoch,
        })
    }

    /// Takes one sample.
    pub async fn sample(&self, phase: &'static str, live: &Live) -> Sample {
        let (tasks, connections) = self.debug_stats().await.unwrap_or((None, None));
        let now = Instant::now();
        let t_s = if now >= self.epoch {
            now.duration_since(self.epoch).as_secs_f64()
        } else {
            -self.epoch.duration_since(now).as_secs_f64()
        };
        Sample {
            kind: "soak_sample",
            phase,
            t_s: (t_s * 10.0).round() / 10.0,
            rss_kib: self.pid.and_then(procstat::rss_kib),
            fds: self.pid.and_then(procstat::open_fds),
            tasks,
            connections,
            healthy_expected: live.feed.sent.load(Relaxed) * live.healthy_count,
            healthy_received: live.healthy_received.load(Relaxed),
            churn_cycles: live.churn.cycles.load(Relaxed),
            slow_closed_4100: live.slow.closed_4100.load(Relaxed),
        }
    }

    async fn debug_stats(&self) -> Option<(Option<u64>, Option<u64>)> {
        let response = self.client.get(&self.stats_url).send().await.ok()?;
        let body: serde_json::Value = response.error_for_status().ok()?.json().await.ok()?;
        Some((body["tasks"].as_u64(), body["connections"].as_u64()))
    }
}

/// Appends `value` as one JSON line to `path`.
///
/// # Errors
/// If the file cannot be written.
pub fn append(path: Option<&Path>, value: &impl Serialize) -> anyhow::Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let line = serde_json::to_string(value)?;
    writeln!(file, "{line}").with_context(|| format!("cannot write {}", path.display()))
}
