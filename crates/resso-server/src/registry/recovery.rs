//! The registry's half of Socket.IO's connection state recovery. A recoverable socket's channels
//! keep a [`History`](super::history::History) from the moment it joins; when its connection drops,
//! its subscriptions stay (its presence too) while the session waits. When the client comes back
//! on a new connection, [`Registry::resume`] checks under one lock that every broadcast it missed
//! is still kept and within the bounds, gathers them in offset order, and points the subscriptions
//! at the new connection's queue — so nothing published meanwhile can fall between the replay and
//! the live stream, and nothing is replayed twice. Anything short of a complete replay is refused.

use std::sync::Arc;

use resso_protocol::{ChannelName, SocketId};

use super::history::{last_offset, Bounds, Gap, History};
use super::{AppState, Registry};
use crate::apps::App;
use crate::broadcast::Broadcast;
use crate::outbox::Outbox;

/// A channel a recoverable socket joined, and the last offset given out before it did.
#[derive(Debug, Clone)]
pub struct Joined {
    pub channel: ChannelName,
    pub since: u64,
}

/// A recovery to attempt.
pub struct Resume<'a> {
    pub wanted: Wanted<'a>,
    /// The new connection's own id, which the recovered socket takes the place of.
    pub replaces: SocketId,
    /// The new connection's queue.
    pub outbox: &'a Outbox,
}

/// What a recovering session missed: which one, on which channels, after which offset.
pub struct Wanted<'a> {
    /// The disconnected socket, whose subscriptions wait in the registry.
    pub socket: SocketId,
    pub channels: &'a [Joined],
    /// The last offset the client received (`0`: none yet).
    pub after: u64,
    /// Most events and bytes the replay may hold.
    pub max_events: usize,
    pub max_bytes: usize,
}

/// Why a session cannot be recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unrecoverable {
    #[error("the offset was never given out")]
    FromTheFuture,
    #[error("events after the offset were let go")]
    TooOld,
    #[error("a channel or subscription of the session is gone")]
    Lost,
    #[error("the missed events pass the replay bound")]
    TooMuch,
}

impl From<Gap> for Unrecoverable {
    fn from(gap: Gap) -> Self {
        match gap {
            Gap::TooOld => Self::TooOld,
        }
    }
}

impl Registry {
    /// Makes `channel` keep a history within `bounds` (if it does not yet); returns the offset
    /// after which it holds everything. Call it once `socket` joined.
    pub fn keep_history(&self, app: &App, channel: &ChannelName, bounds: Bounds) -> u64 {
        let mut state = self.lock();
        let entry = state
            .apps
            .get_mut(&app.id)
            .and_then(|a| a.channels.get_mut(channel));
        if let Some(entry) = entry {
            entry
                .history
                .get_or_insert_with(|| Box::new(History::new(bounds)));
        }
        last_offset()
    }

    /// Recovers `r.socket` on a new connection: returns what it missed, in order, and from now on
    /// delivers to `r.outbox` (the connection's own id `r.replaces` is dropped); or, when that
    /// cannot be done in full, changes nothing.
    ///
    /// # Errors
    /// [`Unrecoverable`] saying why.
    pub fn resume(&self, app: &App, r: &Resume<'_>) -> Result<Vec<Arc<Broadcast>>, Unrecoverable> {
        let mut guard = self.lock();
        let app_state = guard.apps.get_mut(&app.id).ok_or(Unrecoverable::Lost)?;
        let w = &r.wanted;
        let missed = missed(app_state, w)?;
        for joined in w.channels {
            let entry = app_state.channels.get_mut(&joined.channel);
            let sub = entry.and_then(|e| e.subscribers.get_mut(&w.socket));
            sub.ok_or(Unrecoverable::Lost)?.outbox = r.outbox.clone();
        }
        app_state.connections.remove(&r.replaces);
        app_state.connections.insert(w.socket, r.outbox.clone());
        Ok(missed)
    }
}

/// Every broadcast `r.socket` missed on its channels, in offset order, within the bounds.
pub(super) fn missed(
    app_state: &mut AppState,
    r: &Wanted<'_>,
) -> Result<Vec<Arc<Broadcast>>, Unrecoverable> {
    if r.after > last_offset() {
        return Err(Unrecoverable::FromTheFuture);
    }
    let mut all = Vec::new();
    for joined in r.channels {
        let entry = app_state.channels.get_mut(&joined.channel);
        let entry = entry
            .filter(|e| e.subscribers.contains_key(&r.socket))
            .ok_or(Unrecoverable::Lost)?;
        let history = entry.history.as_mut().ok_or(Unrecoverable::Lost)?;
        history.since(r.after.max(joined.since), r.socket, &mut all)?;
        if all.len() > r.max_events {
            return Err(Unrecoverable::TooMuch);
        }
    }
    let bytes: usize = all.iter().map(|(_, m)| m.queued_size()).sum();
    if bytes > r.max_bytes {
        return Err(Unrecoverable::TooMuch);
    }
    all.sort_unstable_by_key(|(offset, _)| *offset);
    Ok(all.into_iter().map(|(_, m)| m).collect())
}
