//! Read-only questions the HTTP API and sessions ask the registry: counts, channel lists, members,
//! cached events and who a socket is. Counts and lists are cluster-wide (local plus the replicas of
//! the other nodes).

use std::collections::{HashMap, HashSet};

use resso_protocol::{AppId, ChannelName, UserId};
use serde_json::value::RawValue;

use super::{Cached, Counts, Registry};
use crate::metrics::{channel_type, CHANNEL_TYPES};

/// One app's channels on this node, for the gauges: how many of each type (the metrics'
/// `channel_type` order) and how many members its presence channels hold in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    pub channels: [u64; CHANNEL_TYPES.len()],
    pub presence_members: u64,
}

impl Registry {
    /// The user `socket` is signed in as.
    #[cfg(test)]
    pub fn signed_in_as(&self, app: &AppId, socket: resso_protocol::SocketId) -> Option<UserId> {
        let state = self.lock();
        state.apps.get(app)?.users.user_of(socket).cloned()
    }

    /// Counts for one channel across the cluster; zero when nobody is subscribed.
    #[must_use]
    pub fn counts(&self, app: &AppId, channel: &str) -> Counts {
        let state = self.lock();
        let local = state.apps.get(app).and_then(|a| a.channels.get(channel));
        let mut users: HashSet<&UserId> = local
            .map(|c| c.members.keys().collect())
            .unwrap_or_default();
        users.extend(state.remote.members(app, channel).map(|(id, _)| id));
        let here = local.map_or(0, |c| c.subscribers.len());
        Counts {
            subscriptions: here + state.remote.subscribers(app, channel),
            users: users.len(),
        }
    }

    /// Every channel occupied anywhere in the cluster whose name starts with `prefix`, with counts.
    #[must_use]
    pub fn channels(&self, app: &AppId, prefix: &str) -> Vec<(ChannelName, Counts)> {
        let names: HashSet<ChannelName> = {
            let state = self.lock();
            let local = state
                .apps
                .get(app)
                .into_iter()
                .flat_map(|a| a.channels.keys());
            local
                .chain(state.remote.channel_names(app))
                .filter(|n| n.as_str().starts_with(prefix))
                .cloned()
                .collect()
        };
        names
            .into_iter()
            .map(|name| (name.clone(), self.counts(app, name.as_str())))
            .collect()
    }

    /// The distinct users present in `channel` across the cluster.
    #[must_use]
    pub fn users(&self, app: &AppId, channel: &str) -> Vec<UserId> {
        let state = self.lock();
        let mut users: HashMap<&UserId, ()> = HashMap::new();
        if let Some(c) = state.apps.get(app).and_then(|a| a.channels.get(channel)) {
            users.extend(c.members.keys().map(|id| (id, ())));
        }
        users.extend(state.remote.members(app, channel).map(|(id, _)| (id, ())));
        users.into_keys().cloned().collect()
    }

    /// The distinct users present in `channel` across the cluster, each with its `user_info`.
    #[must_use]
    pub fn members(&self, app: &AppId, channel: &str) -> Vec<(UserId, Option<Box<RawValue>>)> {
        let state = self.lock();
        let mut members: HashMap<&UserId, Option<&RawValue>> = HashMap::new();
        if let Some(c) = state.apps.get(app).and_then(|a| a.channels.get(channel)) {
            members.extend(c.members.iter().map(|(id, p)| (id, p.info.as_deref())));
        }
        for (id, info) in state.remote.members(app, channel) {
            members.entry(id).or_insert(info);
        }
        members
            .into_iter()
            .map(|(id, info)| (id.clone(), info.map(ToOwned::to_owned)))
            .collect()
    }

    /// The nodes of the cluster this node sees live, itself included (1 on a single node).
    #[must_use]
    pub fn cluster_nodes(&self) -> usize {
        self.lock().remote.live_nodes() + 1
    }

    /// Connections of `app` across the cluster (sessions waiting for a recovery included).
    #[must_use]
    pub fn connection_count(&self, app: &AppId) -> u64 {
        let state = self.lock();
        let here = state.apps.get(app).map_or(0, super::AppState::counted);
        here + state.remote.connections(app)
    }

    /// The cached event of a cache channel, with its remaining TTL.
    #[must_use]
    pub fn cached(&self, app: &AppId, channel: &ChannelName) -> Option<Cached> {
        let mut state = self.lock();
        state.apps.get_mut(app)?.cache.info(channel)
    }

    /// This node's channels and presence members, by app; read at scrape time.
    #[must_use]
    pub fn census(&self) -> HashMap<AppId, Census> {
        let state = self.lock();
        let mut census = HashMap::with_capacity(state.apps.len());
        for (app, app_state) in &state.apps {
            let count: &mut Census = census.entry(app.clone()).or_default();
            for (name, channel) in &app_state.channels {
                count.channels[channel_type(name.kind(), name.is_cache())] += 1;
                count.presence_members += channel.members.len() as u64;
            }
        }
        census
    }
}
