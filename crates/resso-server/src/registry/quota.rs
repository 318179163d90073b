//! An app's `max_connections`, counted cluster-wide: its open connections and the Socket.IO
//! sessions waiting for a recovery, on every node. A waiting session keeps its place, so a client
//! that comes back within its window is never shut out by newcomers: the connection it comes back
//! on is let in beside its own waiting session, and only once that connection turns out not to
//! recover one (its CONNECT asks for none, or for one that is gone) is it held to the limit.

use resso_protocol::{AppId, SocketId};

use super::{AppState, Registry, Unwelcome};
use crate::apps::App;
use crate::outbox::Outbox;

/// Whom a new connection may be: only a newcomer, or perhaps a session coming back.
#[derive(Clone, Copy)]
enum Arrival {
    New,
    MayReturn,
}

/// A waiting session's place in its app's count; dropping it gives the place back.
pub struct WaitingSlot {
    registry: Registry,
    app: AppId,
}

impl Drop for WaitingSlot {
    fn drop(&mut self) {
        let mut state = self.registry.lock();
        if let Some(app) = state.apps.get_mut(&self.app) {
            app.waiting = app.waiting.saturating_sub(1);
        }
    }
}

impl AppState {
    /// Connections here that count toward the app's limit: open ones and waiting sessions.
    pub(super) fn counted(&self) -> u64 {
        self.connections.len() as u64 + self.waiting
    }
}

impl Registry {
    /// Counts a new connection of `app`, unless that would pass its limit (cluster-wide).
    ///
    /// # Errors
    /// [`Unwelcome::OverQuota`] when the app already has its maximum of connections,
    /// [`Unwelcome::ShuttingDown`] once shutdown began (checked under the lock
    /// [`Self::close_all`] takes, so no connection slips past it).
    pub fn connect(&self, app: &App, socket: SocketId, outbox: &Outbox) -> Result<(), Unwelcome> {
        self.admit(app, socket, outbox, Arrival::New)
    }

    /// As [`Self::connect`], for a connection that may be a waiting session coming back: the
    /// sessions waiting here do not count against it until [`Self::within_quota`] is asked.
    ///
    /// # Errors
    /// As [`Self::connect`].
    pub fn connect_returning(
        &self,
        app: &App,
        socket: SocketId,
        outbox: &Outbox,
    ) -> Result<(), Unwelcome> {
        self.admit(app, socket, outbox, Arrival::MayReturn)
    }

    fn admit(
        &self,
        app: &App,
        socket: SocketId,
        outbox: &Outbox,
        arrival: Arrival,
    ) -> Result<(), Unwelcome> {
        let mut guard = self.lock();
        if self.shutdown.is_cancelled() {
            return Err(Unwelcome::ShuttingDown);
        }
        let state = &mut *guard;
        let elsewhere = state.remote.connections(&app.id);
        let entry = state.apps.entry(app.id.clone()).or_default();
        let here = match arrival {
            Arrival::New => entry.counted(),
            Arrival::MayReturn => entry.connections.len() as u64,
        };
        if app
            .config
            .max_connections
            .is_some_and(|max| here + elsewhere >= max)
        {
            return Err(Unwelcome::OverQuota);
        }
        entry.connections.insert(socket, outbox.clone());
        Ok(())
    }

    /// Whether `app`'s connections, waiting sessions included, are within its limit (a connection
    /// let in by [`Self::connect_returning`] that recovered no session asks).
    #[must_use]
    pub fn within_quota(&self, app: &App) -> bool {
        let state = self.lock();
        let here = state.apps.get(&app.id).map_or(0, AppState::counted);
        let total = here + state.remote.connections(&app.id);
        app.config.max_connections.is_none_or(|max| total <= max)
    }

    /// Counts a session of `app` waiting here for a recovery until the slot is dropped.
    #[must_use]
    pub fn hold_waiting(&self, app: &AppId) -> WaitingSlot {
        let mut state = self.lock();
        state.apps.entry(app.clone()).or_default().waiting += 1;
        WaitingSlot {
            registry: self.clone(),
            app: app.clone(),
        }
    }
}
