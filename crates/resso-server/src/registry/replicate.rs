//! Applying what other nodes say (deltas, snapshots, heartbeats, departures). Every change to the
//! replica of another node is bracketed by a look at the cluster-wide truth of the keys it touches
//! (is this user present in this channel, is this channel occupied, is this user online) before and
//! after; where the truth flips, local subscribers and watchers are told, and the leader fires the
//! webhooks ([`super::replica::leadership`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use resso_protocol::{AppId, ChannelName, UserId};
use serde_json::value::RawValue;

use super::replica::{
    channel_hook, member_hook, AppSnapshot, Change, ChannelSnapshot, Keys, MemberInfo, NodeId,
    Publish, Remote, Snapshot, Transition,
};
use super::{cache, fan_out, Registry, State};
use crate::apps::Apps;
use crate::broadcast::{Broadcast, Payload};
use crate::webhooks::Fact;

/// The truth of some [`Keys`] at one moment.
#[derive(PartialEq, Eq)]
struct View {
    members: Vec<bool>,
    channels: Vec<bool>,
    users: Vec<bool>,
}

impl Registry {
    /// Applies another node's change of its local state, its message number `seq` there.
    pub(crate) fn apply_delta(
        &self,
        (node, seq): (NodeId, u64),
        app_id: &AppId,
        change: &Change,
        apps: &Apps,
    ) {
        let keys = Keys::of_change(app_id, change);
        self.change_remote(&keys, Cause::Update(node, seq), |remote| {
            remote.apply(node, app_id, change);
        });
        if let (Some(app), Some((_, channel))) =
            (apps.by_id(app_id.as_str()), keys.channels.first())
        {
            self.remote_count_changed(&app, channel);
        }
    }

    /// Delivers another node's event to local subscribers (keeping it as the cached event on
    /// cache channels), noting how far that node's publishes were delivered here.
    pub(crate) fn apply_publish(&self, p: Publish, apps: &Apps) {
        let Some(app) = apps.by_id(p.app.as_str()) else {
            return;
        };
        let (channel, except) = (p.channel, p.except);
        let payload = Payload::from_parts(p.text, p.json);
        let data = payload.as_text().map(Arc::<str>::from);
        let msg = Arc::new(Broadcast::event(
            channel.clone(),
            p.event,
            payload,
            p.user_id,
        ));
        if p.seq > 0 {
            msg.set_origin(p.node, p.seq);
        }
        let mut state = self.lock();
        state.heard.note(p.node, p.seq);
        cache::keep(&mut state, &app, &channel, &msg, data);
        fan_out(&mut state, &app, &channel, &msg, except);
    }

    /// A heartbeat from `node`; returns whether its full state is known here (if not, the cluster
    /// protocol asks for it).
    pub(crate) fn heartbeat(&self, node: NodeId, connections: HashMap<AppId, u64>) -> bool {
        let mut state = self.lock();
        state.remote.heartbeat(node, connections);
        state.remote.is_synced(node)
    }

    /// Replaces what is known of `node` with its snapshot.
    pub(crate) fn replace_node(&self, node: NodeId, snapshot: Snapshot) {
        let mut keys = self.lock().remote.node_keys(node);
        keys.extend(Keys::of_snapshot(&snapshot));
        let cause = if self.lock().remote.seen(node) {
            Cause::Update(node, 0)
        } else {
            Cause::FirstContact
        };
        self.change_remote(&keys, cause, |remote| remote.replace(node, snapshot));
    }

    /// Forgets a node that left or died, telling local clients (and, on the leader, webhooks) what
    /// vanished with it.
    pub fn remove_node(&self, node: NodeId) {
        let keys = self.lock().remote.node_keys(node);
        self.change_remote(&keys, Cause::Departed, |remote| {
            remote.remove(node);
        });
    }

    /// Removes nodes silent for longer than `timeout`; returns them.
    pub fn expire_nodes(&self, timeout: Duration) -> Vec<NodeId> {
        let dead = {
            let mut state = self.lock();
            state.retractions.prune();
            state.remote.expired(timeout)
        };
        for node in &dead {
            tracing::warn!(
                node,
                "cluster node timed out: removing its connections' presence and channels"
            );
            self.remove_node(*node);
        }
        dead
    }

    /// This node's local state, for other nodes.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let state = self.lock();
        let apps = state
            .apps
            .iter()
            .map(|(id, a)| (id.clone(), app_snapshot(a)))
            .collect();
        Snapshot { apps }
    }

    /// Connections per app here, for heartbeats.
    #[must_use]
    pub fn connection_counts(&self) -> HashMap<AppId, u64> {
        self.lock()
            .apps
            .iter()
            .map(|(id, a)| (id.clone(), a.counted()))
            .collect()
    }

    /// Runs `change` on the replica, then reacts to every key whose cluster-wide truth flipped:
    /// local subscribers and watchers are told, and webhooks fired as [`leadership`](super::replica::leadership) says.
    fn change_remote(&self, keys: &Keys, cause: Cause, change: impl FnOnce(&mut Remote)) {
        let mut guard = self.lock();
        let state = &mut *guard;
        if let Cause::Update(node, seq) = cause {
            state.heard.note(node, seq);
        }
        let before = view(state, keys);
        let leaving = leaving_infos(state, keys, &before);
        change(&mut state.remote);
        let after = view(state, keys);
        if before == after && state.retractions.is_empty() {
            return;
        }
        let fires = state.remote.led_by(self.node()) && cause != Cause::FirstContact;
        let flip = |was: bool, now: bool| Transition {
            flipped: was != now,
            now,
            fires,
            departed: cause == Cause::Departed,
        };
        for (i, (app, channel, user)) in keys.members.iter().enumerate() {
            let flip = flip(before.members[i], after.members[i]);
            if flip.flipped {
                let info = leaving[i].clone();
                let origin = match cause {
                    Cause::Update(node, seq @ 1..) => Some((node, seq)),
                    Cause::Update(..) | Cause::FirstContact | Cause::Departed => None,
                };
                let key = (app, channel, user);
                self.member_flipped(state, key, flip.now, info, origin);
            }
            let key = Fact::Member(app.clone(), channel.clone(), user.clone());
            if state.retractions.decide(&key, flip) {
                self.emit(app, member_hook(channel, user, flip.now));
            }
        }
        for (i, (app, channel)) in keys.channels.iter().enumerate() {
            let flip = flip(before.channels[i], after.channels[i]);
            let key = Fact::Channel(app.clone(), channel.clone());
            if state.retractions.decide(&key, flip) {
                self.emit(app, channel_hook(channel, flip.now));
            }
        }
        for (i, (app, user)) in keys.users.iter().enumerate() {
            if before.users[i] != after.users[i] {
                if let Some(a) = state.apps.get(app) {
                    a.users.tell_watchers(user, after.users[i]);
                }
            }
        }
    }

    /// Tells local subscribers of `channel` that `user` joined or left the cluster-wide presence
    /// (`left_info`: what it had joined with), naming the message that caused it (`origin`).
    fn member_flipped(
        &self,
        state: &mut State,
        (app, channel, user): (&AppId, &ChannelName, &UserId),
        present: bool,
        left_info: Option<Box<RawValue>>,
        origin: Option<(NodeId, u64)>,
    ) {
        let info = present.then(|| {
            state
                .remote
                .member_info(app, channel.as_str(), user)
                .flatten()
        });
        let entry = state
            .apps
            .get_mut(app)
            .and_then(|a| a.channels.get_mut(channel));
        let Some(entry) = entry else {
            return;
        };
        let msg = if let Some(info) = info {
            Broadcast::member_added(channel.clone(), user.clone(), info)
        } else {
            Broadcast::member_removed(channel.clone(), user.clone(), left_info)
        };
        if let Some((node, seq)) = origin {
            msg.set_origin(node, seq);
        }
        entry.send(&Arc::new(msg), None);
    }
}

/// How a change to the replicas came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// A delta (from this node, with this number), or the snapshot of a node seen before (after
    /// a broker outage; number 0).
    Update(NodeId, u64),
    /// The first snapshot of a node: what it holds was reported by whoever led before us.
    FirstContact,
    /// A node left or died.
    Departed,
}

/// The info of each member key present on another node before a change, for the removals the
/// change may cause (the replica forgets it).
fn leaving_infos(state: &State, keys: &Keys, before: &View) -> Vec<Option<Box<RawValue>>> {
    let info = |(app, channel, user): &(AppId, ChannelName, UserId), was: bool| {
        was.then(|| state.remote.member_info(app, channel.as_str(), user))
            .flatten()
            .flatten()
    };
    keys.members
        .iter()
        .zip(&before.members)
        .map(|(key, was)| info(key, *was))
        .collect()
}

fn view(state: &State, keys: &Keys) -> View {
    let local = |app: &AppId| state.apps.get(app);
    let members = keys
        .members
        .iter()
        .map(|(app, ch, user)| {
            let here = local(app)
                .and_then(|a| a.channels.get(ch))
                .is_some_and(|c| c.members.contains_key(user));
            here || state.remote.has_member(app, ch.as_str(), user)
        })
        .collect();
    let channels = keys
        .channels
        .iter()
        .map(|(app, ch)| {
            local(app).is_some_and(|a| a.channels.contains_key(ch))
                || state.remote.subscribers(app, ch.as_str()) > 0
        })
        .collect();
    let users = keys
        .users
        .iter()
        .map(|(app, user)| {
            local(app).is_some_and(|a| a.users.is_online(user)) || state.remote.online(app, user)
        })
        .collect();
    View {
        members,
        channels,
        users,
    }
}

fn app_snapshot(a: &super::AppState) -> AppSnapshot {
    let channels = a
        .channels
        .iter()
        .map(|(name, c)| {
            let members = c
                .members
                .iter()
                .map(|(id, p)| {
                    let member = MemberInfo {
                        user: id.clone(),
                        info: p.info.clone(),
                    };
                    (member, p.sockets)
                })
                .collect();
            let snapshot = ChannelSnapshot {
                subscribers: c.subscribers.len(),
                members,
            };
            (name.clone(), snapshot)
        })
        .collect();
    let users = a.users.counts().map(|(u, n)| (u.clone(), n)).collect();
    AppSnapshot {
        connections: a.counted(),
        channels,
        users,
    }
}
