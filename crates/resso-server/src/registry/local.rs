//! Changes made by this node's own connections: subscribe, unsubscribe, disconnect, signin. Each
//! decides its transitions (occupied, member added, …) against the cluster-wide view, tells local
//! subscribers (and webhooks, on the leading node: [`super::replica::leadership`]), and sends the other nodes a
//! delta.

use std::collections::HashSet;
use std::sync::Arc;

use resso_protocol::presence::Member;
use resso_protocol::user::User;
use resso_protocol::{AppId, ChannelKind, ChannelName, SocketId, UserId};

use super::channel::{Channel, Subscriber};
use super::counts::{CountHook, Owed};
use super::replica::{Change, MemberInfo, Remote, Retractions};
use super::{cache, AppState, At, Refusal, Registry, Replay, Subscribed, Watchlist};
use crate::apps::App;
use crate::broadcast::Broadcast;
use crate::outbox::Outbox;
use crate::tap::Entry;
use crate::webhooks::Fact;
use crate::webhooks::HookEvent;

impl Registry {
    /// Removes a closed connection from its `channels`, its signin, and the app's count.
    pub fn disconnect<'a>(
        &self,
        app: &App,
        socket: SocketId,
        channels: impl IntoIterator<Item = &'a ChannelName>,
    ) {
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(app_state) = state.apps.get_mut(&app.id) else {
            return;
        };
        for channel in channels {
            let at = At::new(app, channel, &state.remote);
            self.leave(&at, app_state, &mut state.owed_counts, socket);
        }
        let remote = &state.remote;
        if let Some(user) = app_state
            .users
            .sign_out(socket, &|u| remote.online(&app.id, u))
        {
            self.delta(app, Change::SignedOut { user });
        }
        app_state.connections.remove(&socket);
    }

    /// Adds `socket` to `channel` (idempotently) and returns what to tell it: the member list on
    /// presence channels, the cached event or a miss on cache channels. For presence, `member` is
    /// who the socket is.
    ///
    /// # Errors
    /// [`Refusal`] when the channel cannot take this subscriber.
    pub fn subscribe(
        &self,
        app: &App,
        channel: &ChannelName,
        socket: SocketId,
        outbox: &Outbox,
        member: Option<Member>,
    ) -> Result<Subscribed, Refusal> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let remote = &state.remote;
        let app_state = state.apps.entry(app.id.clone()).or_default();
        let entry = app_state.channels.entry(channel.clone()).or_default();
        let fresh = !entry.subscribers.contains_key(&socket);
        if let Some(m) = member.as_ref().filter(|_| fresh) {
            let limit = app.config.limits.presence_members;
            if is_full(entry, remote, &app.id, channel, &m.user_id, limit) {
                if entry.subscribers.is_empty() {
                    app_state.channels.remove(channel);
                }
                return Err(Refusal::PresenceFull(limit));
            }
        }
        if fresh {
            settle(&mut state.retractions, &app.id, channel, member.as_ref());
            let at = At::new(app, channel, remote);
            self.join(&at, entry, socket, outbox, member);
            self.count_changed(&at, entry, &mut state.owed_counts, CountHook::Fire);
            app.meters.subscribed(channel.kind(), channel.is_cache());
            app.tap.emit(|| Entry::Subscribed {
                socket: socket.to_string(),
                channel: channel.to_string(),
            });
        }
        let members = (channel.kind() == ChannelKind::Presence)
            .then(|| entry.members(remote.members(&app.id, channel.as_str())));
        let replay = channel
            .is_cache()
            .then(|| self.replay_cache(app, &mut app_state.cache, channel));
        Ok(Subscribed { members, replay })
    }

    /// Adds a new subscriber to `entry`, reporting the member and channel transitions it causes.
    fn join(
        &self,
        at: &At<'_>,
        entry: &mut Channel,
        socket: SocketId,
        outbox: &Outbox,
        member: Option<Member>,
    ) {
        let At {
            app,
            channel,
            remote,
        } = *at;
        let occupied =
            entry.subscribers.is_empty() && remote.subscribers(&app.id, channel.as_str()) == 0;
        let user = member.as_ref().map(|m| m.user_id.clone());
        if let Some(m) = &member {
            if entry.add_member(m) && !remote.has_member(&app.id, channel.as_str(), &m.user_id) {
                let msg = Arc::new(Broadcast::member_added(
                    channel.clone(),
                    m.user_id.clone(),
                    m.user_info.clone(),
                ));
                self.by_next_delta(&msg);
                entry.send(&msg, Some(socket));
                app.tap.emit(|| Entry::MemberAdded {
                    channel: channel.to_string(),
                    user: m.user_id.to_string(),
                });
                self.emit_transition(
                    &app.id,
                    remote,
                    HookEvent::MemberAdded {
                        channel: channel.clone(),
                        user_id: m.user_id.clone(),
                    },
                );
            }
        }
        entry.subscribers.insert(
            socket,
            Subscriber {
                outbox: outbox.clone(),
                user,
            },
        );
        if occupied {
            app.tap.emit(|| Entry::Occupied {
                channel: channel.to_string(),
            });
            self.emit_transition(
                &app.id,
                remote,
                HookEvent::ChannelOccupied {
                    channel: channel.clone(),
                },
            );
        }
        let member = member.map(|m| MemberInfo {
            user: m.user_id,
            info: m.user_info,
        });
        self.delta(
            app,
            Change::Subscribed {
                channel: channel.clone(),
                member,
            },
        );
    }

    fn replay_cache(&self, app: &App, cache: &mut cache::Cache, channel: &ChannelName) -> Replay {
        if let Some(msg) = cache.get(channel) {
            return Replay::Event(msg.clone());
        }
        if cache.first_miss(channel) {
            self.emit(
                &app.id,
                HookEvent::CacheMiss {
                    channel: channel.clone(),
                },
            );
        }
        Replay::Miss
    }

    /// Removes `socket` from `channel`; returns whether it was subscribed.
    pub fn unsubscribe(&self, app: &App, channel: &ChannelName, socket: SocketId) -> bool {
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(app_state) = state.apps.get_mut(&app.id) else {
            return false;
        };
        let at = At::new(app, channel, &state.remote);
        self.leave(&at, app_state, &mut state.owed_counts, socket)
    }

    /// Removes `socket` from `channel`, reporting the member and channel transitions it causes.
    fn leave(
        &self,
        at: &At<'_>,
        app_state: &mut AppState,
        owed: &mut Owed,
        socket: SocketId,
    ) -> bool {
        let At {
            app,
            channel,
            remote,
        } = *at;
        let Some(entry) = app_state.channels.get_mut(channel) else {
            return false;
        };
        let Some(sub) = entry.subscribers.remove(&socket) else {
            return false;
        };
        app.tap.emit(|| Entry::Unsubscribed {
            socket: socket.to_string(),
            channel: channel.to_string(),
        });
        let user = sub.user.clone();
        if let Some(user) = sub.user {
            let last = entry.remove_member(&user);
            if let Some(info) =
                last.filter(|_| !remote.has_member(&app.id, channel.as_str(), &user))
            {
                let msg = Broadcast::member_removed(channel.clone(), user.clone(), info);
                self.by_next_delta(&msg);
                entry.send(&Arc::new(msg), None);
                app.tap.emit(|| Entry::MemberRemoved {
                    channel: channel.to_string(),
                    user: user.to_string(),
                });
                self.emit_transition(
                    &app.id,
                    remote,
                    HookEvent::MemberRemoved {
                        channel: channel.clone(),
                        user_id: user,
                    },
                );
            }
        }
        self.delta(
            app,
            Change::Unsubscribed {
                channel: channel.clone(),
                user,
            },
        );
        if !entry.subscribers.is_empty() {
            self.count_changed(at, entry, owed, CountHook::Fire);
            return true;
        }
        app_state.channels.remove(channel);
        if remote.subscribers(&app.id, channel.as_str()) == 0 {
            app.tap.emit(|| Entry::Vacated {
                channel: channel.to_string(),
            });
            self.emit_transition(
                &app.id,
                remote,
                HookEvent::ChannelVacated {
                    channel: channel.clone(),
                },
            );
        }
        true
    }

    /// Signs `socket` in; returns its watchlist's status, if it watches anyone.
    pub fn sign_in(
        &self,
        app: &App,
        socket: SocketId,
        user: &User,
        outbox: &Outbox,
    ) -> Option<Watchlist> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let remote = &state.remote;
        let elsewhere = |u: &UserId| remote.online(&app.id, u);
        let users = &mut state.apps.entry(app.id.clone()).or_default().users;
        let previous = users.user_of(socket).cloned();
        let changed = previous.as_ref() != Some(&user.id);
        if let Some(previous) = previous.filter(|_| changed) {
            users.sign_out(socket, &elsewhere);
            self.delta(app, Change::SignedOut { user: previous });
        }
        let status = users.sign_in(socket, user, outbox, &elsewhere);
        if changed {
            self.delta(
                app,
                Change::SignedIn {
                    user: user.id.clone(),
                },
            );
        }
        status
    }
}

/// A local join reports its own transitions: removals told for a vanished node need no taking back.
fn settle(told: &mut Retractions, app: &AppId, channel: &ChannelName, member: Option<&Member>) {
    if told.is_empty() {
        return; // the usual case: no keys to build
    }
    told.settle(&Fact::Channel(app.clone(), channel.clone()));
    if let Some(m) = member {
        told.settle(&Fact::Member(
            app.clone(),
            channel.clone(),
            m.user_id.clone(),
        ));
    }
}

/// Whether a new user would pass the presence limit, counting members on every node.
fn is_full(
    entry: &Channel,
    remote: &Remote,
    app: &AppId,
    channel: &ChannelName,
    user: &UserId,
    limit: usize,
) -> bool {
    if entry.members.contains_key(user) || remote.has_member(app, channel.as_str(), user) {
        return false;
    }
    let mut users: HashSet<&UserId> = entry.members.keys().collect();
    users.extend(remote.members(app, channel.as_str()).map(|(id, _)| id));
    users.len() >= limit
}
