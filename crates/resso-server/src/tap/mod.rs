//! The tap: what happens in one app, told to whoever watches — the debug console's live feed and
//! the `--debug` log — from one set of call sites. Each app has a [`Tap`]; the registry, the
//! sessions, the webhook deliverer, Laravel Redis ingestion and the HTTP edge call
//! [`Tap::emit`] with a closure that builds the [`Entry`]. While nobody watches and `--debug` is
//! off, `emit` is one relaxed atomic load and the closure never runs, so the tap costs the hot
//! path nothing. Call sites emit once per publish, never once per delivery.
//!
//! The feed is a bounded `tokio::sync::broadcast`: a watcher that falls behind loses the oldest
//! entries and is told how many ([`Feed::next`]), so a slow browser can never slow delivery.
//!
//! - [`entry`]: what is told, as typed entries with their JSON form and their log line.
//! - [`sample`]: the per-app bound on `--debug` lines.

mod entry;
mod sample;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use resso_protocol::AppId;
use tokio::sync::broadcast;

pub use entry::{Entry, Record, Via};
use sample::{Admit, Sampler, LINES_PER_SECOND};

/// Entries a watcher may fall behind by before it loses the oldest.
pub const FEED_CAPACITY: usize = 1024;

/// The `interest` bit set while `--debug` logs every entry; each watcher adds [`WATCHER`].
const DEBUG: usize = 1;
const WATCHER: usize = 2;

/// One app's tap.
#[derive(Debug)]
pub struct Tap {
    app: AppId,
    /// `DEBUG` when debug lines are on, plus `WATCHER` per watching console: zero means emit
    /// does nothing.
    interest: AtomicUsize,
    feed: broadcast::Sender<Arc<Record>>,
    /// This app's share of `--debug` lines (locked only while they are on).
    sampler: Mutex<Sampler>,
}

impl Tap {
    fn new(app: AppId, debug: bool) -> Self {
        Self {
            app,
            interest: AtomicUsize::new(if debug { DEBUG } else { 0 }),
            feed: broadcast::channel(FEED_CAPACITY).0,
            sampler: Mutex::new(Sampler::new(Instant::now())),
        }
    }

    /// Tells `entry()` to whoever watches; does nothing, `entry` uncalled, when nobody does.
    #[inline]
    pub fn emit(&self, entry: impl FnOnce() -> Entry) {
        let interest = self.interest.load(Relaxed);
        if interest != 0 {
            self.tell(interest, entry());
        }
    }

    /// Whether anyone watches (for call sites that would otherwise gather an entry's parts).
    #[inline]
    pub fn is_watched(&self) -> bool {
        self.interest.load(Relaxed) != 0
    }

    #[cold]
    fn tell(&self, interest: usize, entry: Entry) {
        if interest & DEBUG != 0 {
            self.log(&entry);
        }
        if interest >= WATCHER {
            // An error means the last watcher left meanwhile: nobody to tell.
            let _ = self.feed.send(Arc::new(Record::now(entry)));
        }
    }

    fn log(&self, entry: &Entry) {
        let mut sampler = self.sampler.lock().unwrap_or_else(PoisonError::into_inner);
        let admit = sampler.admit(Instant::now());
        drop(sampler);
        match admit {
            Admit::Skip => return,
            Admit::LogAfterSkipping(skipped) => tracing::info!(
                target: "resso::debug",
                app = %self.app,
                "{skipped} debug lines not written (more than {LINES_PER_SECOND} a second)"
            ),
            Admit::Log => {}
        }
        tracing::info!(target: "resso::debug", app = %self.app, "{entry}");
    }

    /// Starts watching: the feed of every entry from now on, until the [`Feed`] is dropped.
    #[must_use]
    pub fn watch(self: &Arc<Self>) -> Feed {
        let rx = self.feed.subscribe();
        self.interest.fetch_add(WATCHER, Relaxed);
        Feed {
            tap: self.clone(),
            rx,
        }
    }

    fn set_debug(&self, on: bool) {
        if on {
            self.interest.fetch_or(DEBUG, Relaxed);
        } else {
            self.interest.fetch_and(!DEBUG, Relaxed);
        }
    }
}

/// One watcher's view of a tap; stops counting as a watcher when dropped.
#[derive(Debug)]
pub struct Feed {
    tap: Arc<Tap>,
    rx: broadcast::Receiver<Arc<Record>>,
}

/// What a watcher gets next.
#[derive(Debug)]
pub enum Next {
    Entry(Arc<Record>),
    /// The watcher fell behind: this many entries were dropped for it.
    Dropped(u64),
}

impl Feed {
    /// The next entry, or how many were lost since the last one.
    pub async fn next(&mut self) -> Next {
        match self.rx.recv().await {
            Ok(record) => Next::Entry(record),
            Err(broadcast::error::RecvError::Lagged(n)) => Next::Dropped(n),
            // The sender lives in the tap this feed holds: never closed.
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.tap.interest.fetch_sub(WATCHER, Relaxed);
    }
}

/// Every app's tap, by id: an app rebuilt by a reload keeps its tap (and its watchers). Cheap to
/// clone.
#[derive(Debug, Clone, Default)]
pub struct Taps(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    by_app: Mutex<HashMap<AppId, Arc<Tap>>>,
    debug: std::sync::atomic::AtomicBool,
}

impl Taps {
    /// The tap of `app`, made on first use.
    #[must_use]
    pub fn of(&self, app: &AppId) -> Arc<Tap> {
        let mut by_app = self.0.by_app.lock().unwrap_or_else(PoisonError::into_inner);
        let debug = self.0.debug.load(Relaxed);
        by_app
            .entry(app.clone())
            .or_insert_with(|| Arc::new(Tap::new(app.clone(), debug)))
            .clone()
    }

    /// Logs every entry of every app (`--debug`), or stops.
    pub fn set_debug(&self, on: bool) {
        let by_app = self.0.by_app.lock().unwrap_or_else(PoisonError::into_inner);
        self.0.debug.store(on, Relaxed);
        for tap in by_app.values() {
            tap.set_debug(on);
        }
    }
}

#[cfg(test)]
mod tests;
