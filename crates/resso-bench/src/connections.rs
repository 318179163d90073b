//! The connection-only scenarios. `idle`: N subscribers connect at a set rate and sit; the report
//! gives the connect rate, connect latency, and server RSS and CPU per connection. `churn`: loops
//! that connect, subscribe and disconnect as fast as allowed; the report gives cycles per second,
//! latency, errors, and server RSS before and after (a leak shows as growth).

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::task::JoinSet;

use crate::phase::{self, Base, Resources};
use crate::procstat::CpuMark;
use crate::report::{Latency, Report};
use crate::scenarios::{add_connected, build_pool, Run};
use crate::stats::{self, bump, counters};
use crate::subscriber::{self, Spec};

/// N subscribed connections, held for `--duration`.
///
/// # Errors
/// If no subscriber could connect.
pub async fn idle(run: &Run<'_>) -> anyhow::Result<Report> {
    let args = run.args;
    let channels = match args.channels.max(1) {
        1 => vec!["bench".into()],
        n => (0..n).map(|i| format!("bench-{i}").into()).collect(),
    };
    let base = Base::now();
    let resources = Resources::start(run.target.pid);
    let mark = CpuMark::now(run.target.pid);
    let (pool, connected) = build_pool(run, channels, None).await?;
    let connect_cpu = mark.until(&CpuMark::now(run.target.pid));
    run.progress.set("idle holding");
    tokio::time::sleep(args.duration()).await;
    let mut report = Report {
        scenario: args.scenario.name(),
        server_url: run.target.url_for(run.protocol),
        protocol: run.protocol.name(),
        subs: connected.subscribed,
        duration_s: args.duration().as_secs_f64(),
        ..Report::default()
    };
    add_connected(&mut report, args.subs(), &connected);
    report.server_cpu_us_per_connect = connect_cpu
        .server_micros
        .map(|us| us as f64 / connected.subscribed.max(1) as f64);
    resources.finish(&mut report, 0);
    report.rss_kib_per_conn = per_conn(&report, connected.subscribed);
    phase::fill_counters(&mut report, &base);
    run.progress.set("idle closing");
    pool.shutdown().await;
    Ok(report)
}

/// Server RSS growth divided by `conns`.
fn per_conn(report: &Report, conns: u64) -> Option<f64> {
    let (before, after) = (report.server_rss_kib_before?, report.server_rss_kib_after?);
    (conns > 0).then(|| after.saturating_sub(before) as f64 / conns as f64)
}

/// `--concurrency` loops of connect, subscribe, close, at most `--connect-rate` per second.
///
/// # Errors
/// Never, today; the signature matches the other scenarios.
pub async fn churn(run: &Run<'_>) -> anyhow::Result<Report> {
    let args = run.args;
    let duration = args.duration();
    run.progress.set("churn");
    stats::take_phase();
    let base = Base::now();
    let errors_before = stats::read(&counters().connect_errors);
    let resources = Resources::start(run.target.pid);
    let plan = Arc::new(Plan {
        start: Instant::now(),
        end: Instant::now() + duration,
        rate: args.connect_rate.clamp(1.0, 100_000.0),
        next: AtomicU64::new(0),
        cycles: AtomicU64::new(0),
        template: Spec {
            url: run.target.url_for(run.protocol).into(),
            addr: run.target.ws_addr,
            source: Ipv4Addr::LOCALHOST,
            channel: "churn".into(),
            protocol: run.protocol,
            read_buffer: args.read_buffer,
            socket_recv_buffer: None,
            tls: run.target.tls.clone(),
        },
        source_ips: args.source_ips.max(1),
    });
    let mut loops = JoinSet::new();
    for _ in 0..args.concurrency.clamp(1, 10_000) {
        loops.spawn(churn_loop(plan.clone()));
    }
    while loops.join_next().await.is_some() {}
    let wall = plan.start.elapsed().as_secs_f64();
    let cycles = plan.cycles.load(Relaxed);
    let mut report = Report {
        scenario: args.scenario.name(),
        server_url: run.target.url_for(run.protocol),
        protocol: run.protocol.name(),
        duration_s: duration.as_secs_f64(),
        connect_errors: stats::read(&counters().connect_errors) - errors_before,
        connect_latency_us: Latency::of(&stats::take_phase()),
        cycles: Some(cycles),
        cycles_per_s: Some(cycles as f64 / wall.max(1e-3)),
        ..Report::default()
    };
    report.connect_per_s = report.cycles_per_s;
    resources.finish(&mut report, 0);
    report.server_cpu_us_per_connect = report.server_cpu_s.map(|s| s * 1e6 / cycles.max(1) as f64);
    phase::fill_counters(&mut report, &base);
    Ok(report)
}

/// The shared schedule of a churn run.
struct Plan {
    start: Instant,
    end: Instant,
    rate: f64,
    /// The next cycle's number; cycle `i` may start at `start + i / rate`.
    next: AtomicU64,
    cycles: AtomicU64,
    template: Spec,
    source_ips: u8,
}

async fn churn_loop(plan: Arc<Plan>) {
    loop {
        let i = plan.next.fetch_add(1, Relaxed);
        let due = plan.start + Duration::from_secs_f64(i as f64 / plan.rate);
        if due >= plan.end {
            return;
        }
        tokio::time::sleep_until(due.into()).await;
        let mut spec = plan.template.clone();
        let host = 1 + (i % u64::from(plan.source_ips)) as u8;
        spec.source = Ipv4Addr::new(127, 0, 0, host);
        let began = Instant::now();
        let Ok(subscriber::Connection { mut ws, .. }) = subscriber::connect(&spec).await else {
            bump(&counters().connect_errors);
            continue;
        };
        stats::record_latency(u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX));
        // Close, then read to the server's close reply so the server ends the TCP connection
        // first (its side keeps TIME_WAIT, not our ephemeral ports).
        let closing = async {
            ws.close(None).await.ok()?;
            while ws.next().await.is_some() {}
            Some(())
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), closing).await;
        bump(&counters().disconnected);
        plan.cycles.fetch_add(1, Relaxed);
    }
}
