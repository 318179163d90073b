//! Sessions waiting to be recovered, by `pid`: an Echo socket whose connection dropped keeps its
//! subscriptions (and its presence) here for its app's recovery window. A recovering CONNECT takes
//! it back; otherwise a timer drops it when the window ends, which leaves its channels as a closed
//! socket would. Each waiting session counts toward its app's `max_connections` while it waits.
//! A `std` mutex: every critical section is one map operation, and a session is
//! always dropped outside it (dropping leaves channels, which takes the registry's lock).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use resso_protocol::AppId;
use tokio::time::Instant;

use super::EchoSocket;
use crate::registry::WaitingSlot;

/// Most sessions waiting at once; past it a dropped connection is not kept for recovery.
const MAX_WAITING: usize = 1 << 16;

#[derive(Default)]
pub struct Parked(Mutex<HashMap<String, Waiting>>);

struct Waiting {
    app: AppId,
    socket: Box<EchoSocket>,
    until: Instant,
    /// Its place in the app's connection count, given back with it.
    _counted: WaitingSlot,
}

impl Parked {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Waiting>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `socket` under `pid` for `window`; returns whether it was kept (when too many wait,
    /// it is dropped at once).
    pub fn park(self: &Arc<Self>, pid: String, socket: Box<EchoSocket>, window: Duration) -> bool {
        let until = Instant::now() + window;
        let waiting = Waiting {
            app: socket.app.id.clone(),
            _counted: socket.registry.hold_waiting(&socket.app.id),
            socket,
            until,
        };
        let mut map = self.lock();
        if map.len() >= MAX_WAITING {
            drop(map);
            drop(waiting);
            return false;
        }
        let replaced = map.insert(pid.clone(), waiting);
        drop(map);
        drop(replaced);
        let store = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep_until(until).await;
            if let Some(store) = store.upgrade() {
                store.expire(&pid, until);
            }
        });
        true
    }

    /// The session `pid` of `app`, if it is still waiting; a session of another app stays.
    pub fn take(&self, pid: &str, app: &AppId) -> Option<Box<EchoSocket>> {
        let mut map = self.lock();
        if map.get(pid)?.app != *app {
            return None;
        }
        let waiting = map.remove(pid)?;
        drop(map);
        (waiting.until > Instant::now()).then_some(waiting.socket)
    }

    /// `f` of the session `pid` of `app`, if it is still waiting (it stays).
    pub fn peek<T>(&self, pid: &str, app: &AppId, f: impl FnOnce(&EchoSocket) -> T) -> Option<T> {
        let map = self.lock();
        let waiting = map.get(pid)?;
        let live = waiting.app == *app && waiting.until > Instant::now();
        live.then(|| f(&waiting.socket))
    }

    /// Drops `pid` if its window (the one ending at `until`) is over.
    fn expire(&self, pid: &str, until: Instant) {
        let mut map = self.lock();
        let gone = map
            .get(pid)
            .is_some_and(|w| w.until == until)
            .then(|| map.remove(pid));
        drop(map);
        drop(gone);
    }
}
