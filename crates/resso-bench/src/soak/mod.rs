//! `soak`: a leak check. Healthy subscribers on one channel and a sequential publisher run for the
//! whole soak; for `--duration` churners connect, subscribe (public, private, presence), leave and
//! rejoin presence and disconnect in a loop, and a slow consumer joins every `--slow-every`
//! seconds and stops reading until the server closes it. Samples ([`sampler`]) are taken before,
//! during and after the churn; the verdict ([`verdict`]) compares the end with the warm-up mark
//! (RSS) and the baseline (fds, tasks) and checks every healthy delivery ([`order`]).
//!
//! - [`healthy`]: the healthy subscribers and the slow consumers; [`churner`]: the churn loop;
//!   [`feed`]: the publisher.

pub(crate) mod churner;
mod feed;
mod finish;
mod healthy;
mod order;
mod sampler;
mod verdict;

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use self::churner::{Churn, ChurnTally, CHURN_CHANNEL};
use self::feed::{Feed, FeedTally};
use self::healthy::{Healthy, SlowTally};
use self::sampler::{Sample, Sampler};
use crate::cli::Protocol;
use crate::report::Report;
use crate::scenarios::Run;
use crate::subscriber::Spec;

/// `[server]` settings of the harness's own Ressò for a soak: `/debug/stats` on, and the smallest
/// outbound queue, so that slow consumers are closed within seconds.
pub const SERVER_CONFIG: &str = "debug_stats = true\noutbound_queue_bytes = 16384\n";
/// The healthy subscribers' channel.
const HEALTHY_CHANNEL: &str = "soak";
/// The slow consumers' channel, fed larger events so their queue passes the bound in seconds
/// (the kernel's socket buffers on loopback absorb hundreds of KiB before the queue grows).
const SLOW_CHANNEL: &str = "soak-slow";
/// Size of the slow consumers' events, events per batch and batches per second: 800 KB/s, so
/// a stalled client passes the kernel's buffers (up to 4 MiB) and the queue within ~5 s.
const SLOW_PAYLOAD_BYTES: usize = 8000;
const SLOW_BATCH: usize = 10;
const SLOW_RATE: f64 = 10.0;
/// Longest wait for the server to return to its baseline after the churn.
const SETTLE_MAX: Duration = Duration::from_secs(30);

/// Counters the workers update and the sampler reads.
pub struct Live {
    pub feed: Arc<FeedTally>,
    pub slow_feed: Arc<FeedTally>,
    pub healthy_received: Arc<AtomicU64>,
    pub healthy_count: u64,
    pub churn: Arc<ChurnTally>,
    pub slow: Arc<SlowTally>,
}

/// The running soak's stop switches and tasks.
struct Workers {
    churn_stop: CancellationToken,
    churn: JoinSet<()>,
    feed_stop: CancellationToken,
    feed: tokio::task::JoinHandle<()>,
    slow_feed: tokio::task::JoinHandle<()>,
    healthy_stop: CancellationToken,
}

/// Runs the soak; fails (after writing its samples and summary) if any rule is broken.
///
/// # Errors
/// A healthy subscriber that cannot connect, a broken rule, or an unwritable `--json` file.
pub async fn soak(run: &Run<'_>) -> anyhow::Result<Vec<Report>> {
    let args = run.args;
    let json = args.json.as_deref();
    run.progress.set("soak: connecting the healthy subscribers");
    let healthy_stop = CancellationToken::new();
    let sio_url = run.target.url_for(Protocol::Sio4);
    let template = spec(run, HEALTHY_CHANNEL, Protocol::Pusher);
    let healthy = Healthy::connect(&template, &sio_url, args.subs(), &healthy_stop).await?;
    let live = Live {
        feed: Arc::default(),
        slow_feed: Arc::default(),
        healthy_received: healthy.received.clone(),
        healthy_count: healthy.checks.len() as u64,
        churn: Arc::default(),
        slow: Arc::default(),
    };
    let mut workers = start_feeds(run, &live, healthy_stop)?;
    first_publish(&live.feed).await?;
    let sampler = Sampler::new(run.target.pid, &run.target.http_base, Instant::now())?;
    let _ = sampler.sample("warming", &live).await; // opens the sampler's own connection
    let mut samples = vec![sampler.sample("baseline", &live).await];
    sampler::append(json, &samples[0])?;
    start_churn(run, &live, &mut workers);
    samples.extend(churn_phase(run, &sampler, &live, json).await?);
    let baseline = samples[0].clone();
    samples.push(finish::wind_down(&sampler, &live, &mut workers, &baseline).await);
    sampler::append(json, samples.last().expect("just pushed"))?;
    workers.healthy_stop.cancel();
    let (checks, closes) = healthy.join().await;
    let mut figures = finish::figures(run, &samples, &live, &checks);
    figures.healthy_closed_early = closes.len() as u64;
    judge(figures, json)
}

/// Applies the rules, writes and prints the summary; fails naming every broken rule.
fn judge(
    mut figures: verdict::Figures,
    json: Option<&std::path::Path>,
) -> anyhow::Result<Vec<Report>> {
    figures.failures = verdict::failures(&figures);
    figures.passed = figures.failures.is_empty();
    sampler::append(json, &figures)?;
    finish::print_summary(&figures);
    if !figures.passed {
        bail!("soak FAILED:\n  {}", figures.failures.join("\n  "));
    }
    Ok(Vec::new())
}

/// Starts the feed of the healthy and churn channels and the slow consumers' feed.
fn start_feeds(
    run: &Run<'_>,
    live: &Live,
    healthy_stop: CancellationToken,
) -> anyhow::Result<Workers> {
    let args = run.args;
    let feed_stop = CancellationToken::new();
    let channels = [HEALTHY_CHANNEL, CHURN_CHANNEL];
    let feed = Feed::new(run.target, &channels, args.payload_bytes(), 1)?;
    let feed = feed.run(args.rate(), live.feed.clone(), feed_stop.clone());
    let slow_feed = Feed::new(run.target, &[SLOW_CHANNEL], SLOW_PAYLOAD_BYTES, SLOW_BATCH)?;
    let slow_feed = slow_feed.run(SLOW_RATE, live.slow_feed.clone(), feed_stop.clone());
    Ok(Workers {
        churn_stop: CancellationToken::new(),
        churn: JoinSet::new(),
        feed: tokio::spawn(feed),
        slow_feed: tokio::spawn(slow_feed),
        feed_stop,
        healthy_stop,
    })
}

/// A subscriber spec for `channel` of the target.
fn spec(run: &Run<'_>, channel: &str, protocol: Protocol) -> Spec {
    Spec {
        url: run.target.url_for(protocol).into(),
        addr: run.target.ws_addr,
        source: Ipv4Addr::LOCALHOST,
        channel: channel.into(),
        protocol,
        read_buffer: run.args.read_buffer,
        socket_recv_buffer: None,
        tls: run.target.tls.clone(),
    }
}

/// Waits until the first publish is answered, so the baseline includes the feed's connection.
async fn first_publish(feed: &FeedTally) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while feed.ok.load(Relaxed) == 0 {
        if Instant::now() > deadline {
            let error = feed
                .first_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            bail!(
                "no publish succeeded within 10 s: {}",
                error.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Starts the churners and the slow consumers.
fn start_churn(run: &Run<'_>, live: &Live, workers: &mut Workers) {
    let args = run.args;
    let churn = Churn {
        pusher_url: run.target.url_for(Protocol::Pusher).into(),
        sio: spec(run, CHURN_CHANNEL, Protocol::Sio4),
        app: run.target.app.clone(),
        source_ips: args.source_ips.max(1),
        tally: live.churn.clone(),
    };
    for n in 0..args.churners.min(crate::cli::MAX_SUBS) {
        workers
            .churn
            .spawn(churn.clone().run(n, workers.churn_stop.clone()));
    }
    let every = Duration::from_secs_f64(args.slow_every.clamp(1.0, 3600.0));
    let slow = healthy::slow_consumers(
        spec(run, SLOW_CHANNEL, Protocol::Pusher),
        every,
        live.slow.clone(),
        workers.churn_stop.clone(),
    );
    workers.churn.spawn(slow);
}

/// Samples every `--sample-every` seconds for `--duration`.
async fn churn_phase(
    run: &Run<'_>,
    sampler: &Sampler,
    live: &Live,
    json: Option<&std::path::Path>,
) -> anyhow::Result<Vec<Sample>> {
    let duration = run.args.duration();
    let every = Duration::from_secs_f64(run.args.sample_every.clamp(0.5, 600.0));
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    while start.elapsed() < duration {
        let left = duration.saturating_sub(start.elapsed());
        tokio::time::timeout(left, tick.tick()).await.ok();
        let sample = sampler.sample("churn", live).await;
        run.progress.set(format!(
            "soak {:.0}/{:.0} s: rss {} KiB, fds {}, tasks {}",
            sample.t_s,
            duration.as_secs_f64(),
            sample.rss_kib.unwrap_or(0),
            sample.fds.unwrap_or(0),
            sample.tasks.unwrap_or(0)
        ));
        sampler::append(json, &sample)?;
        samples.push(sample);
    }
    Ok(samples)
}
