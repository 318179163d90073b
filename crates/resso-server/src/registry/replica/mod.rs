//! What the other nodes of a cluster hold: a replica per node of its subscriber counts, presence
//! members, signed-in users and connection counts, kept current by the [`changes`] other nodes
//! send (deltas, heartbeats, snapshots). The registry keeps one beside its local state, under its
//! lock, to answer with cluster-wide truth; with no cluster it stays empty. It also says who leads
//! (fires the cluster's occupancy and member webhooks, [`leadership`]) and which [`Keys`] a change
//! touches, so the registry can look at their truth before and after.
//!
//! - [`changes`]: the replication vocabulary — events, deltas, snapshots, node ids.
//! - [`leadership`]: who fires the cluster's webhooks, and retractions after a partition.

use std::collections::{HashMap, HashSet};

use resso_protocol::{AppId, ChannelName, UserId};
use serde_json::value::RawValue;
use tokio::time::Instant;

pub mod changes;
pub mod leadership;

pub use changes::{AppSnapshot, Change, ChannelSnapshot, MemberInfo, NodeId, Publish, Snapshot};
pub use leadership::{channel_hook, member_hook, Retractions, Transition};

/// The keys whose cluster-wide truth a change may flip: is this user present in this channel, is
/// this channel occupied, is this user online.
#[derive(Default)]
pub struct Keys {
    pub members: Vec<(AppId, ChannelName, UserId)>,
    pub channels: Vec<(AppId, ChannelName)>,
    pub users: Vec<(AppId, UserId)>,
}

#[derive(Default)]
pub struct Remote {
    nodes: HashMap<NodeId, Node>,
    /// Every node whose snapshot ever arrived, live or not.
    seen: HashSet<NodeId>,
}

struct Node {
    last_seen: Instant,
    apps: HashMap<AppId, AppReplica>,
    /// Built from a snapshot, not only from deltas heard after this node missed its `Hello`.
    synced: bool,
}

#[derive(Default)]
pub struct AppReplica {
    connections: u64,
    pub channels: HashMap<ChannelName, ChannelReplica>,
    pub users: HashMap<UserId, usize>,
}

#[derive(Default)]
pub struct ChannelReplica {
    pub subscribers: usize,
    pub members: HashMap<UserId, (Option<Box<RawValue>>, usize)>,
}

impl Remote {
    fn apps<'a>(&'a self, app: &'a AppId) -> impl Iterator<Item = &'a AppReplica> + 'a {
        self.nodes.values().filter_map(move |n| n.apps.get(app))
    }

    /// How many other nodes are live.
    pub fn live_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Whether `node` leads: it is the lowest-numbered live node.
    pub fn led_by(&self, node: NodeId) -> bool {
        self.nodes.keys().all(|n| *n > node)
    }

    pub fn subscribers(&self, app: &AppId, channel: &str) -> usize {
        self.apps(app)
            .filter_map(|a| a.channels.get(channel))
            .map(|c| c.subscribers)
            .sum()
    }

    pub fn has_member(&self, app: &AppId, channel: &str, user: &UserId) -> bool {
        self.apps(app)
            .filter_map(|a| a.channels.get(channel))
            .any(|c| c.members.contains_key(user))
    }

    /// The info of a member present on some other node.
    pub fn member_info(
        &self,
        app: &AppId,
        channel: &str,
        user: &UserId,
    ) -> Option<Option<Box<RawValue>>> {
        self.apps(app)
            .filter_map(|a| a.channels.get(channel)?.members.get(user))
            .map(|(info, _)| info.clone())
            .next()
    }

    /// Members present on other nodes (may repeat a user present on several).
    pub fn members<'a>(
        &'a self,
        app: &'a AppId,
        channel: &'a str,
    ) -> impl Iterator<Item = (&'a UserId, Option<&'a RawValue>)> + 'a {
        self.apps(app)
            .filter_map(move |a| a.channels.get(channel))
            .flat_map(|c| {
                c.members
                    .iter()
                    .map(|(id, (info, _))| (id, info.as_deref()))
            })
    }

    pub fn online(&self, app: &AppId, user: &UserId) -> bool {
        self.apps(app).any(|a| a.users.contains_key(user))
    }

    pub fn connections(&self, app: &AppId) -> u64 {
        self.apps(app).map(|a| a.connections).sum()
    }

    /// Occupied channel names on other nodes.
    pub fn channel_names<'a>(
        &'a self,
        app: &'a AppId,
    ) -> impl Iterator<Item = &'a ChannelName> + 'a {
        self.apps(app).flat_map(|a| a.channels.keys())
    }

    /// Every app replica of one node.
    pub fn node_apps(&self, node: NodeId) -> impl Iterator<Item = (&AppId, &AppReplica)> {
        self.nodes
            .get(&node)
            .into_iter()
            .flat_map(|n| n.apps.iter())
    }

    /// Whether `node`'s full state is known here (a snapshot of it arrived).
    pub fn is_synced(&self, node: NodeId) -> bool {
        self.nodes.get(&node).is_some_and(|n| n.synced)
    }

    /// Whether a snapshot of `node` ever arrived here (it may have been removed since).
    pub fn seen(&self, node: NodeId) -> bool {
        self.seen.contains(&node)
    }

    pub fn heartbeat(&mut self, node: NodeId, connections: HashMap<AppId, u64>) {
        let Some(entry) = self.nodes.get_mut(&node) else {
            return;
        };
        entry.last_seen = Instant::now();
        for (app, count) in connections {
            entry.apps.entry(app).or_default().connections = count;
        }
    }

    /// Applies a delta from `node` (a node not yet known is created).
    pub fn apply(&mut self, node: NodeId, app: &AppId, change: &Change) {
        let entry = self.nodes.entry(node).or_insert_with(|| Node {
            last_seen: Instant::now(),
            apps: HashMap::new(),
            synced: false,
        });
        entry.last_seen = Instant::now();
        let replica = entry.apps.entry(app.clone()).or_default();
        replica.apply(change);
    }

    /// Replaces everything known of `node` with its snapshot.
    pub fn replace(&mut self, node: NodeId, snapshot: Snapshot) {
        let apps = snapshot
            .apps
            .into_iter()
            .map(|(id, s)| (id, AppReplica::from_snapshot(s)))
            .collect();
        self.seen.insert(node);
        self.nodes.insert(
            node,
            Node {
                last_seen: Instant::now(),
                apps,
                synced: true,
            },
        );
    }

    pub fn remove(&mut self, node: NodeId) -> bool {
        self.nodes.remove(&node).is_some()
    }

    /// Nodes not heard from within `timeout`.
    pub fn expired(&self, timeout: std::time::Duration) -> Vec<NodeId> {
        let now = Instant::now();
        self.nodes
            .iter()
            .filter(|(_, n)| now.duration_since(n.last_seen) > timeout)
            .map(|(id, _)| *id)
            .collect()
    }
}

impl AppReplica {
    fn apply(&mut self, change: &Change) {
        match change {
            Change::Subscribed { channel, member } => {
                let entry = self.channels.entry(channel.clone()).or_default();
                entry.subscribers += 1;
                if let Some(m) = member {
                    let slot = entry
                        .members
                        .entry(m.user.clone())
                        .or_insert_with(|| (m.info.clone(), 0));
                    slot.1 += 1;
                }
            }
            Change::Unsubscribed { channel, user } => self.unsubscribed(channel, user.as_ref()),
            Change::SignedIn { user } => *self.users.entry(user.clone()).or_default() += 1,
            Change::SignedOut { user } => {
                if let Some(count) = self.users.get_mut(user) {
                    *count -= 1;
                    if *count == 0 {
                        self.users.remove(user);
                    }
                }
            }
        }
    }

    fn unsubscribed(&mut self, channel: &ChannelName, user: Option<&UserId>) {
        let Some(entry) = self.channels.get_mut(channel) else {
            return;
        };
        entry.subscribers = entry.subscribers.saturating_sub(1);
        if let Some(user) = user {
            if let Some(slot) = entry.members.get_mut(user) {
                slot.1 -= 1;
                if slot.1 == 0 {
                    entry.members.remove(user);
                }
            }
        }
        if entry.subscribers == 0 {
            self.channels.remove(channel);
        }
    }

    fn from_snapshot(s: AppSnapshot) -> Self {
        let channels = s
            .channels
            .into_iter()
            .map(|(name, c)| {
                let members = c
                    .members
                    .into_iter()
                    .map(|(m, n)| (m.user, (m.info, n)))
                    .collect();
                let replica = ChannelReplica {
                    subscribers: c.subscribers,
                    members,
                };
                (name, replica)
            })
            .collect();
        Self {
            connections: s.connections,
            channels,
            users: s.users,
        }
    }
}

impl Remote {
    /// The keys everything known of `node` touches.
    pub fn node_keys(&self, node: NodeId) -> Keys {
        let mut keys = Keys::default();
        for (app, replica) in self.node_apps(node) {
            for (name, channel) in &replica.channels {
                keys.channels.push((app.clone(), name.clone()));
                keys.members.extend(
                    channel
                        .members
                        .keys()
                        .map(|u| (app.clone(), name.clone(), u.clone())),
                );
            }
            keys.users
                .extend(replica.users.keys().map(|u| (app.clone(), u.clone())));
        }
        keys
    }
}

impl Keys {
    pub fn extend(&mut self, other: Self) {
        self.members.extend(other.members);
        self.channels.extend(other.channels);
        self.users.extend(other.users);
    }

    /// The keys a delta of `app` touches.
    pub fn of_change(app: &AppId, change: &Change) -> Self {
        let mut keys = Self::default();
        match change {
            Change::Subscribed { channel, member } => {
                if let Some(m) = member {
                    keys.members
                        .push((app.clone(), channel.clone(), m.user.clone()));
                }
                keys.channels.push((app.clone(), channel.clone()));
            }
            Change::Unsubscribed { channel, user } => {
                if let Some(u) = user {
                    keys.members.push((app.clone(), channel.clone(), u.clone()));
                }
                keys.channels.push((app.clone(), channel.clone()));
            }
            Change::SignedIn { user } | Change::SignedOut { user } => {
                keys.users.push((app.clone(), user.clone()));
            }
        }
        keys
    }

    /// The keys a snapshot touches.
    pub fn of_snapshot(snapshot: &Snapshot) -> Self {
        let mut keys = Self::default();
        for (app, s) in &snapshot.apps {
            for (name, channel) in &s.channels {
                keys.channels.push((app.clone(), name.clone()));
                keys.members.extend(
                    channel
                        .members
                        .iter()
                        .map(|(m, _)| (app.clone(), name.clone(), m.user.clone())),
                );
            }
            keys.users
                .extend(s.users.keys().map(|u| (app.clone(), u.clone())));
        }
        keys
    }
}
