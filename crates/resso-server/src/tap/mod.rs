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
//! - [`log`]: the `--debug` log, a watcher of its own per app, sampled.

mod entry;
mod log;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};

use resso_protocol::AppId;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub use entry::{Entry, Record, Via};

/// Entries a watcher may fall behind by before it loses the oldest.
pub const FEED_CAPACITY: usize = 1024;

/// What each watcher (a console, or the `--debug` log) adds to a tap's `interest`.
const WATCHER: usize = 1;

/// One app's tap.
#[derive(Debug)]
pub struct Tap {
    app: AppId,
    /// `WATCHER` per watching console or debug log: zero means emit does nothing.
    interest: AtomicUsize,
    feed: broadcast::Sender<Arc<Record>>,
}

impl Tap {
    fn new(app: AppId) -> Self {
        Self {
            app,
            interest: AtomicUsize::new(0),
            feed: broadcast::channel(FEED_CAPACITY).0,
        }
    }

    /// Tells `entry()` to whoever watches; does nothing, `entry` uncalled, when nobody does.
    #[inline]
    pub fn emit(&self, entry: impl FnOnce() -> Entry) {
        if self.is_watched() {
            self.tell(entry());
        }
    }

    /// Whether anyone watches (for call sites that would otherwise gather an entry's parts).
    #[inline]
    pub fn is_watched(&self) -> bool {
        self.interest.load(Relaxed) != 0
    }

    #[cold]
    fn tell(&self, entry: Entry) {
        // An error means the last watcher left meanwhile: nobody to tell.
        let _ = self.feed.send(Arc::new(Record::now(entry)));
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

    /// Writes this tap's entries as `--debug` lines until `stop` (outside any runtime: never).
    fn log_until(self: &Arc<Self>, stop: CancellationToken) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(log::write(self.app.clone(), self.watch(), stop));
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
    /// Stops the `--debug` logs; `None` while they are off.
    debug: Mutex<Option<CancellationToken>>,
}

impl Taps {
    /// The tap of `app`, made on first use (with its debug log, if they are on).
    #[must_use]
    pub fn of(&self, app: &AppId) -> Arc<Tap> {
        // Locked in the order set_debug locks them, so a new tap gets exactly one debug log.
        let debug = self.0.debug.lock().unwrap_or_else(PoisonError::into_inner);
        let mut by_app = self.0.by_app.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tap) = by_app.get(app) {
            return tap.clone();
        }
        let tap = Arc::new(Tap::new(app.clone()));
        by_app.insert(app.clone(), tap.clone());
        if let Some(stop) = debug.as_ref() {
            tap.log_until(stop.clone());
        }
        tap
    }

    /// Logs every entry of every app (`--debug`), or stops.
    pub fn set_debug(&self, on: bool) {
        let mut debug = self.0.debug.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(stop) = debug.take() {
            stop.cancel();
        }
        if !on {
            return;
        }
        let stop = CancellationToken::new();
        let by_app = self.0.by_app.lock().unwrap_or_else(PoisonError::into_inner);
        for tap in by_app.values() {
            tap.log_until(stop.clone());
        }
        *debug = Some(stop);
    }
}

#[cfg(test)]
mod tests;
