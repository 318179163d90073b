//! The channel registry: the one owner of which sockets are in which channels, who is present, who
//! is signed in, and what cache channels hold. All of it lives behind one lock, so none of it can
//! disagree. Every method is synchronous and short; a `std::sync::Mutex` is right here because no
//! caller holds it across an `.await` (clippy's `await_holding_lock` is denied workspace-wide).
//! Subscribers are transport-neutral [`Outbox`]es: the registry hands them a shared [`Broadcast`]
//! and never encodes anything per subscriber. Webhook events are emitted from here, where the
//! transitions (first subscriber, last member, …) are decided.

mod cache;
mod channel;
mod counts;
mod queries;
mod users;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use resso_protocol::presence::Member;
use resso_protocol::user::User;
use resso_protocol::{server, AppId, ChannelName, SocketId};

use crate::apps::App;
use crate::broadcast::{Broadcast, Payload};
use crate::outbox::Outbox;
use crate::webhooks::{HookEvent, Webhooks};
pub use cache::Cached;
use channel::{Channel, Subscriber};

/// Channels above this many subscribers get `subscription_count` at most every [`COUNT_INTERVAL`].
const COUNT_THROTTLE_ABOVE: usize = 100;
const COUNT_INTERVAL: Duration = Duration::from_secs(5);

/// Shared handle to the registry; cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    state: Arc<Mutex<State>>,
    webhooks: Webhooks,
}

#[derive(Default)]
struct State {
    apps: HashMap<AppId, AppState>,
    /// Channels whose throttled `subscription_count` is owed.
    owed_counts: HashSet<(AppId, ChannelName)>,
}

#[derive(Default)]
struct AppState {
    connections: u64,
    channels: HashMap<ChannelName, Channel>,
    users: users::Users,
    cache: cache::Cache,
}

/// Subscriber and user counts of one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub subscriptions: usize,
    pub users: usize,
}

/// The app is at its connection limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverQuota;

/// Why a subscription was refused by the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The presence channel already has the app's maximum of members.
    PresenceFull(usize),
}

impl Registry {
    /// A registry reporting to `webhooks`.
    #[must_use]
    pub fn new(webhooks: Webhooks) -> Self {
        Self {
            state: Arc::default(),
            webhooks,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The webhook handle, for events decided outside the registry (client events).
    #[must_use]
    pub const fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    /// Counts a new connection of `app`, unless that would pass its limit.
    ///
    /// # Errors
    /// [`OverQuota`] when the app already has its maximum of connections.
    pub fn connect(&self, app: &App) -> Result<(), OverQuota> {
        let mut state = self.lock();
        let entry = state.apps.entry(app.id.clone()).or_default();
        if app
            .config
            .max_connections
            .is_some_and(|max| entry.connections >= max)
        {
            return Err(OverQuota);
        }
        entry.connections += 1;
        Ok(())
    }

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
            self.leave(app, app_state, &mut state.owed_counts, channel, socket);
        }
        app_state.users.sign_out(socket);
        app_state.connections = app_state.connections.saturating_sub(1);
    }

    /// Adds `socket` to `channel` (idempotently) and returns the frames to send it:
    /// `subscription_succeeded`, then the cached event or `pusher:cache_miss` on cache channels.
    /// For presence, `member` is who the socket is.
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
    ) -> Result<Vec<String>, Refusal> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let app_state = state.apps.entry(app.id.clone()).or_default();
        let entry = app_state.channels.entry(channel.clone()).or_default();
        let limit = app.config.limits.presence_members;
        if member.as_ref().is_some_and(|m| {
            !entry.subscribers.contains_key(&socket) && entry.is_full_for(m, limit)
        }) {
            if entry.subscribers.is_empty() {
                app_state.channels.remove(channel);
            }
            return Err(Refusal::PresenceFull(limit));
        }
        let mut frames = Vec::with_capacity(2);
        if !entry.subscribers.contains_key(&socket) {
            let occupied = entry.subscribers.is_empty();
            let user = member.map(|m| {
                if entry.add_member(channel, socket, &m) {
                    self.emit(
                        app,
                        HookEvent::MemberAdded {
                            channel: channel.clone(),
                            user_id: m.user_id.clone(),
                        },
                    );
                }
                m.user_id
            });
            entry.subscribers.insert(
                socket,
                Subscriber {
                    outbox: outbox.clone(),
                    user,
                },
            );
            if occupied {
                self.emit(
                    app,
                    HookEvent::ChannelOccupied {
                        channel: channel.clone(),
                    },
                );
            }
            self.count_changed(app, entry, &mut state.owed_counts, channel);
        }
        frames.push(entry.succeeded_frame(channel));
        if channel.is_cache() {
            frames.push(self.replay_cache(app, &mut app_state.cache, channel));
        }
        Ok(frames)
    }

    fn replay_cache(&self, app: &App, cache: &mut cache::Cache, channel: &ChannelName) -> String {
        if let Some(msg) = cache.get(channel) {
            return msg.pusher_frame().to_string();
        }
        if cache.first_miss(channel) {
            self.emit(
                app,
                HookEvent::CacheMiss {
                    channel: channel.clone(),
                },
            );
        }
        server::cache_miss(channel.as_str())
    }

    /// Removes `socket` from `channel`; returns whether it was subscribed.
    pub fn unsubscribe(&self, app: &App, channel: &ChannelName, socket: SocketId) -> bool {
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(app_state) = state.apps.get_mut(&app.id) else {
            return false;
        };
        self.leave(app, app_state, &mut state.owed_counts, channel, socket)
    }

    /// Removes `socket` from `channel`, reporting the member and channel transitions it causes.
    fn leave(
        &self,
        app: &App,
        app_state: &mut AppState,
        owed: &mut HashSet<(AppId, ChannelName)>,
        channel: &ChannelName,
        socket: SocketId,
    ) -> bool {
        let Some(entry) = app_state.channels.get_mut(channel) else {
            return false;
        };
        let Some(sub) = entry.subscribers.remove(&socket) else {
            return false;
        };
        if let Some(user) = sub.user {
            if entry.remove_member(channel, &user) {
                self.emit(
                    app,
                    HookEvent::MemberRemoved {
                        channel: channel.clone(),
                        user_id: user,
                    },
                );
            }
        }
        if entry.subscribers.is_empty() {
            app_state.channels.remove(channel);
            self.emit(
                app,
                HookEvent::ChannelVacated {
                    channel: channel.clone(),
                },
            );
        } else {
            self.count_changed(app, entry, owed, channel);
        }
        true
    }

    /// Queues `msg` for every subscriber of `channel` but `except`; returns how many got it.
    pub fn publish(
        &self,
        app: &AppId,
        channel: &ChannelName,
        msg: &Arc<Broadcast>,
        except: Option<SocketId>,
    ) -> usize {
        let state = self.lock();
        let Some(entry) = state.apps.get(app).and_then(|a| a.channels.get(channel)) else {
            return 0;
        };
        entry.send(msg, except)
    }

    /// Publishes an HTTP API event, keeping it as the channel's cached event on cache channels.
    pub fn publish_api(
        &self,
        app: &App,
        channel: &ChannelName,
        event: &str,
        data: &str,
        except: Option<SocketId>,
    ) -> usize {
        let payload = Payload::Text(data.to_owned());
        let msg = Arc::new(Broadcast::event(
            channel.clone(),
            event.to_owned(),
            payload,
            None,
        ));
        if channel.is_cache() {
            let mut state = self.lock();
            let app_state = state.apps.entry(app.id.clone()).or_default();
            let ttl = Duration::from_secs(app.config.cache_ttl);
            app_state
                .cache
                .store(channel, msg.clone(), Arc::from(data), ttl);
        }
        self.publish(&app.id, channel, &msg, except)
    }

    /// Signs `socket` in; returns the watchlist status frame to send it, if it watches anyone.
    pub fn sign_in(
        &self,
        app: &App,
        socket: SocketId,
        user: &User,
        outbox: &Outbox,
    ) -> Option<String> {
        let mut state = self.lock();
        state
            .apps
            .entry(app.id.clone())
            .or_default()
            .users
            .sign_in(socket, user, outbox)
    }

    /// Closes every connection signed in as `user`; returns how many.
    pub fn terminate(&self, app: &AppId, user: &str) -> usize {
        let state = self.lock();
        state.apps.get(app).map_or(0, |a| a.users.terminate(user))
    }

    fn emit(&self, app: &App, event: HookEvent) {
        self.webhooks.emit(&app.id, event);
    }
}

#[cfg(test)]
mod tests;
