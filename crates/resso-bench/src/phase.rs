//! One measured publishing phase over a built pool: reset the trackers, publish open-loop at a rate
//! for a duration, wait for deliveries to settle, then turn counters, histograms, `/proc` readings
//! and the pool's sequence tallies into a [`Report`]. Fan-out, latency, knee, slow and smoke are all
//! made of these; idle and churn have their own measurements ([`Resources`] is shared).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::pool::Pool;
use crate::procstat::{self, CpuMark};
use crate::publisher::Publisher;
use crate::report::{Latency, Report, HARNESS_BOUND};
use crate::stats::{self, counters, read};
use crate::target::Target;

/// Quiet time after which deliveries are taken to be over.
const SETTLE: Duration = Duration::from_millis(500);
/// Longest wait for deliveries after the last publish was answered.
const MAX_DRAIN: Duration = Duration::from_secs(5);

/// Server and harness resource readings over a window, with a sampler for peak RSS.
pub struct Resources {
    pid: Option<u32>,
    cpu: CpuMark,
    rss_before: Option<u64>,
    peak: Arc<AtomicU64>,
    stop: CancellationToken,
}

impl Resources {
    /// Starts a window: reads CPU and RSS now and samples RSS every 100 ms.
    #[must_use]
    pub fn start(pid: Option<u32>) -> Self {
        let rss_before = pid.and_then(procstat::rss_kib);
        let peak = Arc::new(AtomicU64::new(rss_before.unwrap_or(0)));
        let stop = CancellationToken::new();
        if let Some(pid) = pid {
            let (peak, stop) = (peak.clone(), stop.clone());
            tokio::spawn(async move {
                while tokio::time::timeout(Duration::from_millis(100), stop.cancelled())
                    .await
                    .is_err()
                {
                    peak.fetch_max(procstat::rss_kib(pid).unwrap_or(0), Relaxed);
                }
            });
        }
        Self {
            pid,
            cpu: CpuMark::now(pid),
            rss_before,
            peak,
            stop,
        }
    }

    /// Ends the window and fills the resource fields of `report`; `deliveries` prices the CPU.
    pub fn finish(self, report: &mut Report, deliveries: u64) {
        self.stop.cancel();
        let window = self.cpu.until(&CpuMark::now(self.pid));
        let after = self.pid.and_then(procstat::rss_kib);
        report.wall_s = window.wall_secs;
        report.server_pid = self.pid;
        report.server_cpu_s = window.server_micros.map(|us| us as f64 / 1e6);
        report.server_cpu_cores = window.server_cores();
        report.server_cpu_us_per_delivery = window
            .server_micros
            .filter(|_| deliveries > 0)
            .map(|us| us as f64 / deliveries as f64);
        report.server_kernel_us_per_delivery = window
            .server_kernel_micros
            .filter(|_| deliveries > 0)
            .map(|us| us as f64 / deliveries as f64);
        report.server_rss_kib_before = self.rss_before;
        report.server_rss_kib_after = after;
        report.server_rss_kib_peak = after.map(|a| a.max(self.peak.load(Relaxed)));
        report.harness_cpu_cores = window.harness_cores();
        report.harness_bound = window.harness_cores() >= HARNESS_BOUND;
    }
}

/// Fills the counters every report carries (close codes, pongs, errors) since `base`.
pub fn fill_counters(report: &mut Report, base: &Base) {
    let c = counters();
    report.pongs_sent = read(&c.pongs_sent) - base.pongs;
    report.pusher_errors = read(&c.pusher_errors) - base.pusher_errors;
    for (code, n) in stats::take_closes() {
        *report.close_codes.entry(code.to_string()).or_default() += n;
    }
}

/// Counter values at the start of a window.
pub struct Base {
    deliveries: u64,
    pongs: u64,
    pusher_errors: u64,
}

impl Base {
    /// Reads the counters now (and forgets close codes seen so far).
    #[must_use]
    pub fn now() -> Self {
        let c = counters();
        stats::take_closes();
        Self {
            deliveries: read(&c.deliveries),
            pongs: read(&c.pongs_sent),
            pusher_errors: read(&c.pusher_errors),
        }
    }
}

/// Publishes at `rate` for `duration` to a built pool and measures it.
pub async fn publish(
    target: &Target,
    pool: &Pool,
    publisher: &mut Publisher,
    rate: f64,
    duration: Duration,
) -> Report {
    pool.reset(publisher.next_seq());
    stats::take_phase();
    let base = Base::now();
    let resources = Resources::start(target.pid);
    let published = publisher.run(rate, duration).await;
    let (reading, stalled) = pool.counts();
    let expected = published.ok * reading;
    let deliveries = settle(base.deliveries, expected).await;
    let tally = pool.collect(published.ok, publisher.next_seq());
    let mut report = Report {
        server_url: target.ws_url.clone(),
        subs: reading + stalled,
        subs_stalled: stalled,
        rate: Some(rate),
        duration_s: duration.as_secs_f64(),
        published: published.sent,
        publish_ok: published.ok,
        publish_errors: published
            .errors
            .iter()
            .map(|(status, n)| (status.to_string(), *n))
            .collect(),
        publish_lag_us: Latency::of(&published.lag),
        publish_response_us: Latency::of(&published.response),
        deliveries,
        expected_deliveries: expected,
        deliveries_per_s: deliveries as f64 / published.secs.max(1e-3),
        drops: tally.drops,
        subs_with_drops: tally.subs_with_drops,
        duplicates: tally.tally.duplicates,
        late: tally.tally.late,
        latency_us: Latency::of(&stats::take_phase()),
        first_error: published.first_error,
        ..Report::default()
    };
    resources.finish(&mut report, deliveries);
    fill_counters(&mut report, &base);
    report
}

/// Waits until `expected` deliveries arrived since `base` or they stop coming; returns the count.
async fn settle(base: u64, expected: u64) -> u64 {
    let began = Instant::now();
    let mut last = (read(&counters().deliveries), Instant::now());
    loop {
        let now = read(&counters().deliveries);
        let quiet = last.1.elapsed() >= SETTLE;
        if now - base >= expected || quiet || began.elapsed() >= MAX_DRAIN {
            return now - base;
        }
        if now != last.0 {
            last = (now, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
