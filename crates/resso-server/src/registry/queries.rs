//! Read-only questions the HTTP API and sessions ask the registry: counts, channel lists, members,
//! cached events and who a socket is.

use resso_protocol::{AppId, ChannelName, SocketId, UserId};

use super::channel::Channel;
use super::{Cached, Counts, Registry};

impl Registry {
    /// The presence user `socket` joined `channel` as.
    #[must_use]
    pub fn user_of(&self, app: &AppId, channel: &ChannelName, socket: SocketId) -> Option<UserId> {
        let state = self.lock();
        let entry = state.apps.get(app)?.channels.get(channel)?;
        entry.subscribers.get(&socket)?.user.clone()
    }

    /// The user `socket` is signed in as.
    #[must_use]
    pub fn signed_in_as(&self, app: &AppId, socket: SocketId) -> Option<UserId> {
        let state = self.lock();
        state.apps.get(app)?.users.user_of(socket).cloned()
    }

    /// Counts for one channel; zero when nobody is subscribed.
    #[must_use]
    pub fn counts(&self, app: &AppId, channel: &str) -> Counts {
        let state = self.lock();
        let entry = state.apps.get(app).and_then(|a| a.channels.get(channel));
        entry
            .map(|c| Counts {
                subscriptions: c.subscribers.len(),
                users: c.members.len(),
            })
            .unwrap_or_default()
    }

    /// Every occupied channel whose name starts with `prefix`, with its counts.
    #[must_use]
    pub fn channels(&self, app: &AppId, prefix: &str) -> Vec<(ChannelName, Counts)> {
        let state = self.lock();
        let Some(app_state) = state.apps.get(app) else {
            return Vec::new();
        };
        let counts = |c: &Channel| Counts {
            subscriptions: c.subscribers.len(),
            users: c.members.len(),
        };
        app_state
            .channels
            .iter()
            .filter(|(name, _)| name.as_str().starts_with(prefix))
            .map(|(name, c)| (name.clone(), counts(c)))
            .collect()
    }

    /// The distinct users present in `channel`.
    #[must_use]
    pub fn users(&self, app: &AppId, channel: &str) -> Vec<UserId> {
        let state = self.lock();
        let entry = state.apps.get(app).and_then(|a| a.channels.get(channel));
        entry
            .map(|c| c.members.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The cached event of a cache channel, with its remaining TTL.
    #[must_use]
    pub fn cached(&self, app: &AppId, channel: &ChannelName) -> Option<Cached> {
        let mut state = self.lock();
        state.apps.get_mut(app)?.cache.info(channel)
    }
}
