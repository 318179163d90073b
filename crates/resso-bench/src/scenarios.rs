//! The publishing scenarios — smoke, fanout, latency, knee, slow — as one pool on channel `bench`
//! followed by one or more measured phases; and the dispatch to the connection-only scenarios.
//! Smoke against the harness's own Ressò runs once per protocol (Pusher, then both Socket.IO
//! versions), so CI exercises every subscriber path.

use std::sync::Arc;

use anyhow::bail;

use crate::cli::{Args, Protocol, Scenario};
use crate::connections;
use crate::phase;
use crate::pool::{Connected, Pool, PoolSpec};
use crate::progress::Progress;
use crate::publisher::Publisher;
use crate::report::{Latency, Report};
use crate::stats;
use crate::target::Target;

/// The channel every publishing scenario uses.
const CHANNEL: &str = "bench";
/// The knee is passed when p99 goes above this (µs).
const KNEE_P99_US: u64 = 50_000;

/// What every scenario gets.
#[derive(Clone, Copy)]
pub struct Run<'a> {
    pub args: &'a Args,
    pub target: &'a Target,
    pub progress: &'a Progress,
    /// What the subscribers speak (`--protocol`, except in the all-protocols smoke).
    pub protocol: Protocol,
}

/// Runs the scenario `args` name; returns one report per run or step.
///
/// # Errors
/// If no subscriber could connect or the publisher cannot be built.
pub async fn run(run: &Run<'_>) -> anyhow::Result<Vec<Report>> {
    let args = run.args;
    match args.scenario {
        Scenario::Smoke if run.target.is_own_resso() && args.protocol == Protocol::Pusher => {
            let mut reports = Vec::new();
            for protocol in [Protocol::Pusher, Protocol::Sio3, Protocol::Sio4] {
                let run = Run { protocol, ..*run };
                reports.extend(publishing(&run, &[args.rate()], None).await?);
            }
            Ok(reports)
        }
        Scenario::Smoke | Scenario::Fanout | Scenario::Latency => {
            publishing(run, &[args.rate()], None).await
        }
        Scenario::Knee => publishing(run, &args.knee_rates(), None).await,
        Scenario::Slow => {
            let every = (100.0 / args.slow_percent.clamp(0.01, 100.0)).round();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            publishing(run, &[args.rate()], Some(every.max(1.0) as usize)).await
        }
        Scenario::Idle => connections::idle(run).await.map(|r| vec![r]),
        Scenario::Churn => connections::churn(run).await.map(|r| vec![r]),
        Scenario::Soak => crate::soak::soak(run).await,
        Scenario::Hostile => crate::hostile::hostile(run).await,
        Scenario::Storm => crate::storm::storm(run).await.map(|r| vec![r]),
    }
}

/// The pool for `run`, on `channels`, every `stall_every`-th subscriber stalled.
pub async fn build_pool(
    run: &Run<'_>,
    channels: Vec<Arc<str>>,
    stall_every: Option<usize>,
) -> anyhow::Result<(Pool, Connected)> {
    let args = run.args;
    let count = args.subs();
    check_fd_limit(count)?;
    run.progress.set(format!(
        "{} connecting {count} ({})",
        args.scenario.name(),
        run.protocol.name()
    ));
    let spec = PoolSpec {
        count,
        rate: args.connect_rate.clamp(1.0, 100_000.0),
        channels,
        stall_every,
        protocol: run.protocol,
        source_ips: args.source_ips,
        read_buffer: args.read_buffer,
    };
    let (pool, connected) = Pool::build(run.target, &spec).await;
    if connected.subscribed == 0 {
        pool.shutdown().await;
        bail!(
            "no subscriber connected: {}",
            connected.first_error.as_deref().unwrap_or("?")
        );
    }
    Ok((pool, connected))
}

/// Builds a pool and publishes at each rate in turn (stopping at the knee when there are several).
async fn publishing(
    run: &Run<'_>,
    rates: &[f64],
    stall_every: Option<usize>,
) -> anyhow::Result<Vec<Report>> {
    let args = run.args;
    let name = args.scenario.name();
    let (pool, connected) = build_pool(run, vec![CHANNEL.into()], stall_every).await?;
    let mut publisher = Publisher::new(run.target, CHANNEL, args.payload_bytes())?;
    let stepped = rates.len() > 1;
    let mut reports = Vec::new();
    for (step, &rate) in rates.iter().enumerate() {
        run.progress.set(format!("{name} {rate}/s"));
        let mut report =
            phase::publish(run.target, &pool, &mut publisher, rate, args.duration()).await;
        report.scenario = name;
        report.protocol = run.protocol.name();
        report.server_url = run.target.url_for(run.protocol);
        report.step = stepped.then_some(step + 1);
        add_connected(&mut report, args.subs(), &connected);
        let past_knee = report.latency_us.is_none_or(|l| l.p99 > KNEE_P99_US)
            || report.drops > 0
            || !report.publish_errors.is_empty();
        reports.push(report);
        if stepped && past_knee {
            break;
        }
    }
    run.progress.set(format!("{name} closing"));
    pool.shutdown().await;
    // Stalled subscribers learn their close code only while draining at shutdown.
    if let Some(last) = reports.last_mut() {
        for (code, n) in stats::take_closes() {
            *last.close_codes.entry(code.to_string()).or_default() += n;
        }
    }
    Ok(reports)
}

/// Copies how the pool was built into a report.
pub fn add_connected(report: &mut Report, target: usize, connected: &Connected) {
    report.subs_target = target as u64;
    report.connect_errors = connected.failed;
    report.connect_per_s = Some(connected.subscribed as f64 / connected.secs.max(1e-3));
    report.connect_latency_us = Latency::of(&connected.latency);
    if report.first_error.is_none() {
        report.first_error.clone_from(&connected.first_error);
    }
}

/// Fails early when the harness could not hold `count` sockets.
pub fn check_fd_limit(count: usize) -> anyhow::Result<()> {
    let Some(limit) = crate::procstat::open_files_limit() else {
        return Ok(());
    };
    if count as u64 + 64 > limit {
        bail!("{count} subscribers need more open files than the limit {limit} (ulimit -n)");
    }
    Ok(())
}

/// Whether a smoke run passed: something was delivered and nothing was lost.
#[must_use]
pub fn smoke_passed(reports: &[Report]) -> bool {
    reports
        .iter()
        .all(|r| r.deliveries > 0 && r.drops == 0 && r.publish_ok == r.published)
}
