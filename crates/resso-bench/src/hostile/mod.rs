//! `hostile`: do the bounds on hostile clients (issue #11, docs/reliability.md) keep other clients
//! unaffected? Well-behaved bystanders on one channel get publishes at a fixed rate through phases
//! of equal length against one server, interleaved baseline / hostile / baseline / …, so a hostile
//! phase is judged against the baselines beside it and the noise between baselines shows. Each
//! hostile load runs during its phase only, from loopback addresses of its own (127.0.0.20 and
//! up; the bystanders use 127.0.0.1..=N, N ≤ 16), on a runtime thread of its own, bounded in time
//! and count, and counts the server's answers so the run shows the bound was hit.
//!
//! - [`tally`]: the loads and their outcome counts; [`table`]: the comparison.
//! - [`ws`]: raw Pusher clients; [`conns`], [`frames`], [`http`], [`slow`]: the loads.
//!
//! The harness's own Ressò runs with `bench/hostile.toml`, which sets the bounds the loads push.

mod conns;
mod frames;
mod http;
mod slow;
mod table;
mod tally;
mod ws;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::Ipv4Addr;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use self::table::{Comparison, PhaseRow, Spread};
use self::tally::{Load, Tally};
use self::ws::Dialer;
use crate::cli::Protocol;
use crate::phase;
use crate::pool::{Connected, Pool, PoolSpec};
use crate::publisher::Publisher;
use crate::report::Report;
use crate::scenarios::{add_connected, Run};

/// The server config of the harness's own Ressò for this scenario.
pub const SERVER_CONFIG: &str = include_str!("../../../../bench/hostile.toml");
/// The second app of bench/hostile.toml (id, key, secret), whose API the request flood uses.
pub const HOSTILE_APP: (&str, &str, &str) = ("hostile-app", "hostile-key", "hostile-secret");
/// The bystanders' channel.
const CHANNEL: &str = "bench";
/// Bystander connections per second while building (over N addresses, under the per-address
/// rate of bench/hostile.toml).
const BUILD_RATE: f64 = 200.0;
const MAX_BYSTANDER_IPS: u8 = 16;
/// Pause between phases, for a load's last connections to close.
const GAP: Duration = Duration::from_secs(1);
/// Longest wait for a load to finish after its phase.
const LOAD_GRACE: Duration = Duration::from_secs(15);

type LoadFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs the interleaved phases, prints the table and writes one JSON line per phase plus a
/// summary; returns no [`Report`] for `main` to print (the table here replaces it).
///
/// # Errors
/// No bystander connected, the publisher or the load runtime could not start, or `--json` is
/// not writable.
pub async fn hostile(run: &Run<'_>) -> anyhow::Result<Vec<Report>> {
    let args = run.args;
    let (pool, connected) = bystanders(run).await?;
    let mut publisher = Publisher::new(run.target, CHANNEL, args.payload_bytes())?;
    let loads = Loads::start()?;
    let mut rows = Vec::new();
    for (i, load) in schedule().into_iter().enumerate() {
        let name = load.map_or("baseline", Load::name);
        run.progress.set(format!("hostile phase {}: {name}", i + 1));
        let (mut report, outcomes) = one_phase(run, &pool, &mut publisher, &loads, load).await?;
        report.step = Some(i + 1);
        add_connected(&mut report, args.subs(), &connected);
        let line = PhaseLine {
            phase: name,
            report: &report,
            bound_hit: load.map(|l| l.bound_hit(&outcomes)),
            hostile_outcomes: &outcomes,
        };
        append(args.json.as_deref(), &line)?;
        rows.push(row(load, &report, outcomes));
        tokio::time::sleep(GAP).await;
    }
    run.progress.set("hostile closing");
    pool.shutdown().await;
    drop(loads);
    table::print(&rows);
    let summary = Summary {
        scenario: "hostile-summary",
        baseline_p99_us: table::baseline_spread(&rows),
        comparisons: table::compare(&rows),
    };
    append(args.json.as_deref(), &summary)?;
    Ok(Vec::new())
}

/// Baseline, then each load followed by a baseline.
fn schedule() -> Vec<Option<Load>> {
    let mut phases = vec![None];
    for load in Load::ALL {
        phases.extend([Some(load), None]);
    }
    phases
}

/// The bystanders: `--subs` (200) Pusher subscribers on [`CHANNEL`].
async fn bystanders(run: &Run<'_>) -> anyhow::Result<(Pool, Connected)> {
    let args = run.args;
    run.progress
        .set(format!("hostile connecting {}", args.subs()));
    let spec = PoolSpec {
        count: args.subs(),
        rate: args.connect_rate.clamp(1.0, BUILD_RATE),
        channels: vec![CHANNEL.into()],
        protocol: Protocol::Pusher,
        stall_every: None,
        source_ips: args.source_ips.clamp(1, MAX_BYSTANDER_IPS),
        read_buffer: args.read_buffer,
    };
    let (pool, connected) = Pool::build(run.target, &spec).await;
    if connected.subscribed == 0 {
        pool.shutdown().await;
        bail!(
            "no bystander connected: {}",
            connected.first_error.as_deref().unwrap_or("?")
        );
    }
    Ok((pool, connected))
}

/// One phase: the bystanders' publishing, with `load` running alongside until it ends.
async fn one_phase(
    run: &Run<'_>,
    pool: &Pool,
    publisher: &mut Publisher,
    loads: &Loads,
    load: Option<Load>,
) -> anyhow::Result<(Report, BTreeMap<String, u64>)> {
    let (stop, tally) = (CancellationToken::new(), Tally::default());
    let duration = run.args.duration();
    let task = match load {
        Some(load) => Some(
            loads
                .handle()
                .spawn(future(run, load, tally.clone(), stop.clone())?),
        ),
        None => None,
    };
    let mut report = phase::publish(run.target, pool, publisher, run.args.rate(), duration).await;
    stop.cancel();
    if let Some(task) = task {
        let abort = task.abort_handle();
        if tokio::time::timeout(LOAD_GRACE, task).await.is_err() {
            abort.abort();
            tally.add("load cut after its grace");
        }
    }
    report.scenario = "hostile";
    report.protocol = Protocol::Pusher.name();
    Ok((report, tally.snapshot()))
}

/// The load's future, from its own source addresses.
fn future(
    run: &Run<'_>,
    load: Load,
    tally: Tally,
    stop: CancellationToken,
) -> anyhow::Result<LoadFuture> {
    let target = run.target;
    let base = Dialer {
        url: target.url_for(Protocol::Pusher).into(),
        addr: target.ws_addr,
        source: Ipv4Addr::LOCALHOST,
        app: target.app.clone(),
    };
    let from = |last: u8| base.at(Ipv4Addr::new(127, 0, 0, last));
    Ok(match load {
        Load::ConnFlood => Box::pin(conns::conn_flood(from(20), tally, stop)),
        Load::ChannelCap => Box::pin(conns::channel_cap(from(21), tally, stop)),
        Load::ClientEvents => Box::pin(frames::client_events(from(22), tally, stop)),
        Load::Frames => Box::pin(frames::frames(from(23), tally, stop)),
        Load::PingFlood => Box::pin(frames::ping_flood(from(24), tally, stop)),
        Load::HttpApi => {
            let sources = [25, 26, 27].map(|last| Ipv4Addr::new(127, 0, 0, last));
            let http = target.http_base.clone();
            Box::pin(http::http_api(base.clone(), sources, http, tally, stop))
        }
        Load::Presence => Box::pin(conns::presence(from(28), from(29), tally, stop)),
        Load::SlowReader => {
            let feed = Publisher::new(target, slow::SLOW_CHANNEL, slow::FEED_BYTES)?;
            let duration = run.args.duration();
            Box::pin(slow::slow_readers(from(30), feed, duration, tally, stop))
        }
    })
}

/// The loads' runtime: a thread of its own, so that the loads do not queue behind the
/// bystanders; shut down without blocking, as it is dropped inside the harness's runtime.
struct Loads(Option<tokio::runtime::Runtime>);

impl Loads {
    fn start() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("hostile")
            .enable_all()
            .build()
            .context("cannot start the hostile runtime")?;
        Ok(Self(Some(runtime)))
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("running until dropped").handle()
    }
}

impl Drop for Loads {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

fn row(load: Option<Load>, report: &Report, outcomes: BTreeMap<String, u64>) -> PhaseRow {
    PhaseRow {
        load,
        p50_us: report.latency_us.map(|l| l.p50),
        p99_us: report.latency_us.map(|l| l.p99),
        drops: report.drops,
        server_cpu_cores: report.server_cpu_cores,
        harness_cpu_cores: report.harness_cpu_cores,
        outcomes,
    }
}

/// One phase's JSON line: the bystanders' report and what the hostile load saw.
#[derive(Serialize)]
struct PhaseLine<'a> {
    phase: &'static str,
    #[serde(flatten)]
    report: &'a Report,
    bound_hit: Option<bool>,
    hostile_outcomes: &'a BTreeMap<String, u64>,
}

/// The last JSON line: the comparison.
#[derive(Serialize)]
struct Summary {
    scenario: &'static str,
    baseline_p99_us: Option<Spread>,
    comparisons: Vec<Comparison>,
}

/// Appends `value` as one JSON line to `path`, if given.
fn append(path: Option<&Path>, value: &impl Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let Some(path) = path else { return Ok(()) };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(file, "{}", serde_json::to_string(value)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_load_sits_between_two_baselines() {
        let phases = schedule();
        assert_eq!(phases.len(), 2 * Load::ALL.len() + 1);
        assert!(phases.iter().step_by(2).all(Option::is_none));
        assert!(phases.iter().skip(1).step_by(2).all(Option::is_some));
    }

    #[test]
    fn the_server_config_has_the_hostile_app_and_the_bounds() {
        let (id, key, secret) = HOSTILE_APP;
        for needle in [
            id,
            key,
            secret,
            "connects_per_ip_per_second",
            "api_requests_per_second",
        ] {
            assert!(SERVER_CONFIG.contains(needle), "{needle}");
        }
    }
}
