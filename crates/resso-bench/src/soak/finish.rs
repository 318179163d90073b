//! The end of a soak: stop the churn, wait (bounded) for the server to return to its baseline,
//! stop the feed once every healthy delivery is in, and turn the samples into [`Figures`].

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use super::order::InOrder;
use super::sampler::{Sample, Sampler};
use super::verdict::{self, Figures, FD_SLACK, TASK_SLACK};
use super::{Live, Workers, SETTLE_MAX};
use crate::scenarios::Run;

/// Longest wait for the churners' last cycles and the slow consumers' drains.
const JOIN_MAX: Duration = Duration::from_secs(60);
/// Quiet time after which healthy deliveries are taken to be over.
const DELIVERY_QUIET: Duration = Duration::from_secs(5);

/// Stops the churn and the feed; returns the sample taken once the server settled.
pub(super) async fn wind_down(
    sampler: &Sampler,
    live: &Live,
    workers: &mut Workers,
    baseline: &Sample,
) -> Sample {
    workers.churn_stop.cancel();
    let joined = async { while workers.churn.join_next().await.is_some() {} };
    if tokio::time::timeout(JOIN_MAX, joined).await.is_err() {
        workers.churn.abort_all();
    }
    let began = Instant::now();
    let settled = loop {
        let sample = sampler.sample("settled", live).await;
        if is_back(&sample, baseline) || began.elapsed() > SETTLE_MAX {
            break sample;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    workers.feed_stop.cancel();
    let _ = (&mut workers.feed).await;
    let _ = (&mut workers.slow_feed).await;
    await_deliveries(live).await;
    settled
}

/// Whether connections, fds and tasks are back where they started.
fn is_back(now: &Sample, base: &Sample) -> bool {
    let near = |a: Option<u64>, b: Option<u64>, slack: u64| matches!((a, b), (Some(a), Some(b)) if a.abs_diff(b) <= slack);
    now.connections == base.connections
        && near(now.fds, base.fds, FD_SLACK)
        && near(now.tasks, base.tasks, TASK_SLACK)
}

/// Waits until every healthy subscriber got every publish, or deliveries stop coming.
async fn await_deliveries(live: &Live) {
    let expected = live.feed.sent.load(Relaxed) * live.healthy_count;
    let mut last = (live.healthy_received.load(Relaxed), Instant::now());
    loop {
        let now = live.healthy_received.load(Relaxed);
        if now >= expected || last.1.elapsed() > DELIVERY_QUIET {
            return;
        }
        if now != last.0 {
            last = (now, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The figures of a finished soak (failures not yet judged).
pub(super) fn figures(
    run: &Run<'_>,
    samples: &[Sample],
    live: &Live,
    checks: &[InOrder],
) -> Figures {
    let args = run.args;
    let duration = args.duration().as_secs_f64();
    let warmup_s = args.warmup.unwrap_or(duration / 6.0).clamp(0.0, duration);
    let churn: Vec<&Sample> = samples.iter().filter(|s| s.phase == "churn").collect();
    let warm = churn.iter().find(|s| s.t_s >= warmup_s);
    let (base, end) = (samples.first(), samples.last());
    let peak = |f: fn(&Sample) -> Option<u64>| samples.iter().filter_map(f).max();
    let published = live.feed.sent.load(Relaxed);
    let mut f = Figures {
        kind: "soak_summary",
        duration_s: duration,
        warmup_s,
        churners: args.churners,
        healthy: live.healthy_count,
        rate: args.rate(),
        payload_bytes: args.payload_bytes(),
        rss_kib_baseline: base.and_then(|s| s.rss_kib),
        rss_kib_warmup: warm.and_then(|s| s.rss_kib),
        rss_kib_end: churn.last().and_then(|s| s.rss_kib),
        rss_kib_peak: peak(|s| s.rss_kib),
        fds_baseline: base.and_then(|s| s.fds),
        fds_peak: peak(|s| s.fds),
        fds_end: end.and_then(|s| s.fds),
        tasks_baseline: base.and_then(|s| s.tasks),
        tasks_peak: peak(|s| s.tasks),
        tasks_end: end.and_then(|s| s.tasks),
        connections_baseline: base.and_then(|s| s.connections),
        connections_end: end.and_then(|s| s.connections),
        published,
        publish_errors: live.feed.errors.load(Relaxed) + live.slow_feed.errors.load(Relaxed),
        churn_cycles: live.churn.cycles.load(Relaxed),
        presence_rejoins: live.churn.presence_rejoins.load(Relaxed),
        churn_errors: live.churn.errors.load(Relaxed),
        slow_started: live.slow.started.load(Relaxed),
        slow_closed_4100: live.slow.closed_4100.load(Relaxed),
        slow_other: live.slow.other.load(Relaxed),
        ..Figures::default()
    };
    f.rss_growth_pct = f
        .rss_kib_warmup
        .zip(f.rss_kib_end)
        .map(|(w, e)| verdict::growth_pct(w, e));
    f.first_error = first_error(live);
    add_checks(&mut f, checks);
    f
}

/// Sums the healthy subscribers' checks into `f` (whose `published` is set).
fn add_checks(f: &mut Figures, checks: &[InOrder]) {
    let published = f.published;
    f.healthy_expected = published * f.healthy;
    f.healthy_received = checks.iter().map(|c| c.received).sum();
    f.healthy_lost = checks.iter().map(|c| c.lost(published)).sum();
    f.healthy_repeats = checks.iter().map(|c| c.repeats).sum();
    f.healthy_not_exact = checks.iter().filter(|c| !c.exact(published)).count() as u64;
}

fn first_error(live: &Live) -> Option<String> {
    [
        &live.feed.first_error,
        &live.slow_feed.first_error,
        &live.churn.first_error,
    ]
    .into_iter()
    .find_map(|error| error.lock().unwrap_or_else(|p| p.into_inner()).clone())
}

/// The figures as a few lines on stdout.
pub(super) fn print_summary(f: &Figures) {
    let n = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
    println!(
        "soak {:.0} s: {} churners ({} cycles, {} presence rejoins, {} errors), {} healthy, {}/s x {} B",
        f.duration_s, f.churners, f.churn_cycles, f.presence_rejoins, f.churn_errors, f.healthy, f.rate, f.payload_bytes
    );
    println!(
        "  RSS KiB: baseline {}, warm-up mark ({:.0} s) {}, end {}, peak {} ({} %)",
        n(f.rss_kib_baseline),
        f.warmup_s,
        n(f.rss_kib_warmup),
        n(f.rss_kib_end),
        n(f.rss_kib_peak),
        f.rss_growth_pct.map_or("?".into(), |p| format!("{p:+.1}"))
    );
    println!(
        "  fds: baseline {}, peak {}, end {}; tasks: baseline {}, peak {}, end {}; connections {} -> {}",
        n(f.fds_baseline), n(f.fds_peak), n(f.fds_end), n(f.tasks_baseline), n(f.tasks_peak),
        n(f.tasks_end), n(f.connections_baseline), n(f.connections_end)
    );
    println!(
        "  healthy deliveries: {} expected, {} received, {} lost, {} repeats; publishes {} ({} failed)",
        f.healthy_expected, f.healthy_received, f.healthy_lost, f.healthy_repeats, f.published, f.publish_errors
    );
    println!(
        "  slow consumers: {} started, {} closed with 4100, {} not",
        f.slow_started, f.slow_closed_4100, f.slow_other
    );
    if let Some(e) = &f.first_error {
        println!("  first error: {e}");
    }
    println!("  {}", if f.passed { "PASSED" } else { "FAILED" });
}
