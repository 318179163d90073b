//! Process-wide counters and latency histograms, written from the hot path of every subscriber.
//! Counters are relaxed atomics; each runtime thread records latency into its own histograms
//! (registered here on first use) so a delivery never contends on a shared lock, and readers
//! merge them: `take_phase` for a run's numbers, `take_interval` for the progress line.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Instant;

use hdrhistogram::Histogram;

/// Highest latency recorded, in microseconds (anything above is clamped).
const MAX_MICROS: u64 = 120_000_000;

/// Running totals since the process started; readers take differences.
#[derive(Default)]
pub struct Counters {
    pub connected: AtomicU64,
    pub subscribed: AtomicU64,
    pub connect_errors: AtomicU64,
    pub disconnected: AtomicU64,
    pub deliveries: AtomicU64,
    pub pongs_sent: AtomicU64,
    pub pusher_errors: AtomicU64,
    pub published_ok: AtomicU64,
    pub publish_errors: AtomicU64,
}

struct Shared {
    epoch: Instant,
    counters: Counters,
    closes: Mutex<BTreeMap<u16, u64>>,
    histograms: Mutex<Vec<Arc<Mutex<Pair>>>>,
}

/// One thread's histograms: the whole phase and the current progress interval.
struct Pair {
    phase: Histogram<u64>,
    interval: Histogram<u64>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| Shared {
    epoch: Instant::now(),
    counters: Counters::default(),
    closes: Mutex::new(BTreeMap::new()),
    histograms: Mutex::new(Vec::new()),
});

thread_local! {
    static LOCAL: OnceCell<Arc<Mutex<Pair>>> = const { OnceCell::new() };
}

/// A histogram of microseconds, 3 significant digits.
#[must_use]
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

/// The global counters.
pub fn counters() -> &'static Counters {
    &SHARED.counters
}

/// The instant all payload timestamps count from.
pub fn epoch() -> Instant {
    SHARED.epoch
}

/// Microseconds since [`epoch`].
pub fn now_micros() -> u64 {
    u64::try_from(SHARED.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

/// Reads a counter.
pub fn read(counter: &AtomicU64) -> u64 {
    counter.load(Relaxed)
}

/// Records one latency sample (µs) on this thread's histograms.
pub fn record_latency(micros: u64) {
    LOCAL.with(|cell| {
        let pair = cell.get_or_init(register);
        let mut pair = pair.lock().unwrap_or_else(PoisonError::into_inner);
        let v = micros.clamp(1, MAX_MICROS);
        pair.phase.saturating_record(v);
        pair.interval.saturating_record(v);
    });
}

fn register() -> Arc<Mutex<Pair>> {
    let pair = Arc::new(Mutex::new(Pair {
        phase: new_histogram(),
        interval: new_histogram(),
    }));
    lock(&SHARED.histograms).push(pair.clone());
    pair
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn take(which: fn(&mut Pair) -> &mut Histogram<u64>) -> Histogram<u64> {
    let mut merged = new_histogram();
    for pair in lock(&SHARED.histograms).iter() {
        let mut pair = lock(pair);
        let h = which(&mut pair);
        merged.add(&*h).expect("same bounds");
        h.reset();
    }
    merged
}

/// Latencies since the last call (the phase), merged over threads; resets them.
pub fn take_phase() -> Histogram<u64> {
    take(|p| &mut p.phase)
}

/// Latencies since the last progress line; resets them.
pub fn take_interval() -> Histogram<u64> {
    take(|p| &mut p.interval)
}

/// Counts a close code (1006 for a connection lost without a close frame).
pub fn record_close(code: u16) {
    *lock(&SHARED.closes).entry(code).or_default() += 1;
}

/// Close codes seen since the last call; resets them.
pub fn take_closes() -> BTreeMap<u16, u64> {
    std::mem::take(&mut *lock(&SHARED.closes))
}
