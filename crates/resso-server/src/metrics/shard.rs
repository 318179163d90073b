//! A counter spread over cache lines: each worker thread adds to its own shard (picked once per
//! thread), so counting on the delivery path is one uncontended atomic add; a scrape sums the
//! shards.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// Shards per counter: enough for the worker threads of a small machine; threads beyond share.
const SHARDS: usize = 8;

/// One shard on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Line(AtomicU64);

#[derive(Debug, Default)]
pub struct Sharded([Line; SHARDS]);

/// Hands threads their shard numbers in turn.
static NEXT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SHARD: Cell<usize> = Cell::new(NEXT.fetch_add(1, Relaxed) % SHARDS);
}

impl Sharded {
    pub fn add(&self, n: u64) {
        let shard = SHARD.with(Cell::get);
        self.0[shard].0.fetch_add(n, Relaxed);
    }

    /// The total (for a scrape: a sum of relaxed loads, exact once the adds have stopped).
    pub fn get(&self) -> i64 {
        let sum: u64 = self.0.iter().map(|l| l.0.load(Relaxed)).sum();
        i64::try_from(sum).unwrap_or(i64::MAX)
    }
}
