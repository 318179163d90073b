//! The subscriber pool: opens N subscribers at a set rate, spread round-robin over source addresses
//! 127.0.0.1..=127.0.0.K (each address has its own ~28k ephemeral ports), keeps them running, and
//! sums their sequence trackers into drops and duplicates at the end of each phase.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::Protocol;
use crate::stats::{self, counters, read};
use crate::subscriber::{self, Mode, Spec};
use crate::target::Target;
use crate::tracker::{SeqTracker, Tally};

/// Handshakes in progress at once.
const MAX_PENDING: usize = 1000;

/// SO_RCVBUF of a stalled subscriber, so the server's queue for it fills soon.
const STALLED_RCVBUF: u32 = 4096;

/// How to build a pool.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    pub count: usize,
    /// New connections per second.
    pub rate: f64,
    /// Subscriber `i` joins `channels[i % len]`.
    pub channels: Vec<Arc<str>>,
    pub protocol: Protocol,
    /// Every `n`-th subscriber stops reading once subscribed.
    pub stall_every: Option<usize>,
    pub source_ips: u8,
    pub read_buffer: usize,
}

/// How building the pool went.
#[derive(Debug)]
pub struct Connected {
    pub subscribed: u64,
    pub failed: u64,
    pub secs: f64,
    /// Connect + subscribe time of each subscriber, µs.
    pub latency: Histogram<u64>,
    pub first_error: Option<String>,
}

/// Sums over reading subscribers at the end of a phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseTally {
    pub tally: Tally,
    /// Publishes missing, summed over subscribers.
    pub drops: u64,
    /// Subscribers missing at least one publish.
    pub subs_with_drops: u64,
}

struct Member {
    tracker: Arc<Mutex<SeqTracker>>,
    mode: Mode,
    /// Set once the subscription succeeded; members that never got there are not counted.
    subscribed: Arc<AtomicBool>,
}

/// Running subscribers.
pub struct Pool {
    members: Vec<Member>,
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Pool {
    /// Opens `spec.count` subscribers at `spec.rate` per second and waits until each is subscribed
    /// or has failed.
    pub async fn build(target: &Target, spec: &PoolSpec) -> (Self, Connected) {
        let mut pool = Self {
            members: Vec::with_capacity(spec.count),
            stop: CancellationToken::new(),
            tasks: JoinSet::new(),
        };
        stats::take_phase();
        let before = (
            read(&counters().subscribed),
            read(&counters().connect_errors),
        );
        let first_error = Arc::new(Mutex::new(None));
        let pending = Arc::new(Semaphore::new(MAX_PENDING));
        let start = Instant::now();
        let url: Arc<str> = target.url_for(spec.protocol).into();
        for i in 0..spec.count {
            #[allow(clippy::cast_precision_loss)]
            let due = start + Duration::from_secs_f64(i as f64 / spec.rate);
            tokio::time::sleep_until(due.into()).await;
            let permit = pending.clone().acquire_owned().await.expect("never closed");
            let mode = match spec.stall_every {
                Some(n) if i % n == n - 1 => Mode::Stalled,
                _ => Mode::Reading,
            };
            let sub = Spec {
                url: url.clone(),
                addr: target.ws_addr,
                source: source_ip(i, spec.source_ips),
                channel: spec.channels[i % spec.channels.len()].clone(),
                protocol: spec.protocol,
                read_buffer: spec.read_buffer,
                socket_recv_buffer: (mode == Mode::Stalled).then_some(STALLED_RCVBUF),
                tls: target.tls.clone(),
            };
            let tracker = Arc::new(Mutex::new(SeqTracker::new(0)));
            let subscribed = Arc::new(AtomicBool::new(false));
            pool.members.push(Member {
                tracker: tracker.clone(),
                mode,
                subscribed: subscribed.clone(),
            });
            let (stop, first_error) = (pool.stop.clone(), first_error.clone());
            pool.tasks.spawn(async move {
                let began = Instant::now();
                let ws = subscriber::connect(&sub).await;
                drop(permit);
                match ws {
                    Ok(ws) => {
                        subscribed.store(true, Relaxed);
                        stats::record_latency(micros(began.elapsed()));
                        subscriber::run(ws, tracker, stop, mode).await;
                    }
                    Err(e) => {
                        stats::bump(&counters().connect_errors);
                        let mut first = first_error.lock().unwrap_or_else(PoisonError::into_inner);
                        first.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            });
        }
        let connected = wait_settled(spec.count as u64, before, start).await;
        let first_error = first_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        (
            pool,
            Connected {
                first_error,
                ..connected
            },
        )
    }

    /// Subscribed members that keep reading, and those that stalled.
    #[must_use]
    pub fn counts(&self) -> (u64, u64) {
        let live = self.members.iter().filter(|m| m.subscribed.load(Relaxed));
        live.fold((0, 0), |(reading, stalled), m| match m.mode {
            Mode::Reading => (reading + 1, stalled),
            Mode::Stalled => (reading, stalled + 1),
        })
    }

    /// Starts every tracker afresh at sequence number `base`.
    pub fn reset(&self, base: u64) {
        for m in &self.members {
            lock(&m.tracker).take(base);
        }
    }

    /// Sums the reading subscribers' trackers, each of which should have seen `expected`
    /// publishes, and starts them afresh at `next_base`.
    #[must_use]
    pub fn collect(&self, expected: u64, next_base: u64) -> PhaseTally {
        let mut sum = PhaseTally::default();
        for m in &self.members {
            let t = lock(&m.tracker).take(next_base);
            if m.mode == Mode::Stalled || !m.subscribed.load(Relaxed) {
                continue;
            }
            sum.tally.received += t.received;
            sum.tally.duplicates += t.duplicates;
            sum.tally.late += t.late;
            let missing = expected.saturating_sub(t.unique());
            sum.drops += missing;
            sum.subs_with_drops += u64::from(missing > 0);
        }
        sum
    }

    /// Closes every subscriber (stalled ones first drain their sockets) and waits for them.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(10), all)
            .await
            .is_err()
        {
            self.tasks.abort_all();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// 127.0.0.1, 127.0.0.2, … round-robin over `count` addresses.
fn source_ip(i: usize, count: u8) -> Ipv4Addr {
    let n = usize::from(count.max(1));
    Ipv4Addr::new(127, 0, 0, u8::try_from(1 + i % n).unwrap_or(1))
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Waits until every attempt has subscribed or failed (or progress stops for 15 s).
async fn wait_settled(count: u64, before: (u64, u64), start: Instant) -> Connected {
    let mut last = (0, Instant::now());
    loop {
        let ok = read(&counters().subscribed) - before.0;
        let failed = read(&counters().connect_errors) - before.1;
        if ok + failed >= count || last.1.elapsed() > Duration::from_secs(15) {
            return Connected {
                subscribed: ok,
                failed,
                secs: start.elapsed().as_secs_f64(),
                latency: stats::take_phase(),
                first_error: None,
            };
        }
        if ok + failed != last.0 {
            last = (ok + failed, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
