//! The channel registry: the one owner of which sockets are in which channels and who is present.
//! Channels, subscribers and presence members live together behind one lock, so they can never
//! disagree. Every method is synchronous and short; a `std::sync::Mutex` is right here because no
//! caller holds it across an `.await` (clippy's `await_holding_lock` is denied workspace-wide).
//! Subscribers are transport-neutral [`Outbox`]es: the registry hands them a shared
//! [`Broadcast`] and never encodes anything per subscriber.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use resso_protocol::presence::Member;
use resso_protocol::{server, AppId, ChannelName, SocketId, UserId};
use serde_json::value::RawValue;

use crate::broadcast::Broadcast;
use crate::outbox::Outbox;

/// Shared handle to the registry; cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    apps: HashMap<AppId, AppState>,
}

#[derive(Default)]
struct AppState {
    connections: u64,
    channels: HashMap<ChannelName, Channel>,
}

#[derive(Default)]
struct Channel {
    subscribers: HashMap<SocketId, Subscriber>,
    members: HashMap<UserId, Presence>,
}

struct Subscriber {
    outbox: Outbox,
    user: Option<UserId>,
}

struct Presence {
    info: Option<Box<RawValue>>,
    sockets: usize,
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

impl Registry {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection of `app`, unless that would pass `max`.
    ///
    /// # Errors
    /// [`OverQuota`] when the app already has `max` connections.
    pub fn connect(&self, app: &AppId, max: Option<u64>) -> Result<(), OverQuota> {
        let mut state = self.lock();
        let entry = state.apps.entry(app.clone()).or_default();
        if max.is_some_and(|max| entry.connections >= max) {
            return Err(OverQuota);
        }
        entry.connections += 1;
        Ok(())
    }

    /// Removes a closed connection from each of its `channels` and from the app's count.
    pub fn disconnect<'a>(
        &self,
        app: &AppId,
        socket: SocketId,
        channels: impl IntoIterator<Item = &'a ChannelName>,
    ) {
        let mut state = self.lock();
        let Some(app_state) = state.apps.get_mut(app) else {
            return;
        };
        for channel in channels {
            leave(app_state, channel, socket);
        }
        app_state.connections = app_state.connections.saturating_sub(1);
    }

    /// Adds `socket` to `channel` (idempotently) and returns the `subscription_succeeded` frame to
    /// send it. For presence, `member` is who the socket is; others hear `member_added` only when
    /// this is the user's first connection in the channel.
    pub fn subscribe(
        &self,
        app: &AppId,
        channel: &ChannelName,
        socket: SocketId,
        outbox: &Outbox,
        member: Option<Member>,
    ) -> String {
        let mut state = self.lock();
        let app_state = state.apps.entry(app.clone()).or_default();
        let entry = app_state.channels.entry(channel.clone()).or_default();
        if !entry.subscribers.contains_key(&socket) {
            let user = member.map(|m| entry.add_member(channel, socket, m));
            entry.subscribers.insert(
                socket,
                Subscriber {
                    outbox: outbox.clone(),
                    user,
                },
            );
        }
        entry.succeeded_frame(channel)
    }

    /// Removes `socket` from `channel`; returns whether it was subscribed.
    pub fn unsubscribe(&self, app: &AppId, channel: &ChannelName, socket: SocketId) -> bool {
        let mut state = self.lock();
        state
            .apps
            .get_mut(app)
            .is_some_and(|a| leave(a, channel, socket))
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

    /// The presence user `socket` joined `channel` as.
    #[must_use]
    pub fn user_of(&self, app: &AppId, channel: &ChannelName, socket: SocketId) -> Option<UserId> {
        let state = self.lock();
        let entry = state.apps.get(app)?.channels.get(channel)?;
        entry.subscribers.get(&socket)?.user.clone()
    }

    /// Counts for one channel; zero when nobody is subscribed.
    #[must_use]
    pub fn counts(&self, app: &AppId, channel: &str) -> Counts {
        let state = self.lock();
        state
            .apps
            .get(app)
            .and_then(|a| a.channels.get(channel))
            .map(Channel::counts)
            .unwrap_or_default()
    }

    /// Every occupied channel whose name starts with `prefix`, with its counts.
    #[must_use]
    pub fn channels(&self, app: &AppId, prefix: &str) -> Vec<(ChannelName, Counts)> {
        let state = self.lock();
        let Some(app_state) = state.apps.get(app) else {
            return Vec::new();
        };
        app_state
            .channels
            .iter()
            .filter(|(name, _)| name.as_str().starts_with(prefix))
            .map(|(name, c)| (name.clone(), c.counts()))
            .collect()
    }

    /// The distinct users present in `channel`.
    #[must_use]
    pub fn users(&self, app: &AppId, channel: &str) -> Vec<UserId> {
        let state = self.lock();
        let Some(entry) = state.apps.get(app).and_then(|a| a.channels.get(channel)) else {
            return Vec::new();
        };
        entry.members.keys().cloned().collect()
    }
}

/// Removes `socket` from `channel`, telling the others when its user's last connection left.
fn leave(app: &mut AppState, channel: &ChannelName, socket: SocketId) -> bool {
    let Some(entry) = app.channels.get_mut(channel) else {
        return false;
    };
    let Some(sub) = entry.subscribers.remove(&socket) else {
        return false;
    };
    if let Some(user) = sub.user {
        entry.remove_member(channel, user);
    }
    if entry.subscribers.is_empty() {
        app.channels.remove(channel);
    }
    true
}

impl Channel {
    fn add_member(&mut self, channel: &ChannelName, socket: SocketId, member: Member) -> UserId {
        let presence = self
            .members
            .entry(member.user_id.clone())
            .or_insert_with(|| Presence {
                info: member.user_info,
                sockets: 0,
            });
        presence.sockets += 1;
        if presence.sockets == 1 {
            let info = presence.info.clone();
            let msg = Arc::new(Broadcast::member_added(
                channel.clone(),
                member.user_id.clone(),
                info,
            ));
            self.send(&msg, Some(socket));
        }
        member.user_id
    }

    fn remove_member(&mut self, channel: &ChannelName, user: UserId) {
        let Some(presence) = self.members.get_mut(&user) else {
            return;
        };
        presence.sockets -= 1;
        if presence.sockets == 0 {
            self.members.remove(&user);
            let msg = Arc::new(Broadcast::member_removed(channel.clone(), user));
            self.send(&msg, None);
        }
    }

    fn send(&self, msg: &Arc<Broadcast>, except: Option<SocketId>) -> usize {
        let mut sent = 0;
        for (id, sub) in &self.subscribers {
            if Some(*id) != except && sub.outbox.push(msg) {
                sent += 1;
            }
        }
        sent
    }

    fn succeeded_frame(&self, channel: &ChannelName) -> String {
        if channel.kind() != resso_protocol::ChannelKind::Presence {
            return server::subscription_succeeded(channel.as_str());
        }
        let members = self.members.iter().map(|(id, p)| (id, p.info.as_deref()));
        server::presence_succeeded(channel.as_str(), members)
    }

    fn counts(&self) -> Counts {
        Counts {
            subscriptions: self.subscribers.len(),
            users: self.members.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{outbox, Inbox};
    use resso_protocol::Limits;

    fn name(s: &str) -> ChannelName {
        ChannelName::parse(s, &Limits::default()).unwrap()
    }

    fn member(id: &str) -> Option<Member> {
        let data = format!(r#"{{"user_id":"{id}","user_info":{{"n":"{id}"}}}}"#);
        Some(Member::parse(Some(&data), &Limits::default()).unwrap())
    }

    fn drain(inbox: &mut Inbox) -> Vec<String> {
        std::iter::from_fn(|| inbox.try_recv())
            .map(|m| m.pusher_frame().to_string())
            .collect()
    }

    #[test]
    fn presence_is_per_user() {
        let reg = Registry::default();
        let app = AppId::from("a");
        let ch = name("presence-room");
        let (o1, mut i1) = outbox(1 << 20);
        let (o2, _i2) = outbox(1 << 20);
        let (o3, _i3) = outbox(1 << 20);
        reg.subscribe(&app, &ch, SocketId::new(1, 1), &o1, member("alice"));
        let frame = reg.subscribe(&app, &ch, SocketId::new(1, 2), &o2, member("bob"));
        assert!(frame.contains(r#"\"count\":2"#), "{frame}");
        assert_eq!(drain(&mut i1).len(), 1, "alice hears bob join");
        let frame = reg.subscribe(&app, &ch, SocketId::new(1, 3), &o3, member("bob"));
        assert!(frame.contains(r#"\"count\":2"#), "{frame}");
        assert!(
            drain(&mut i1).is_empty(),
            "a second connection of bob is not a new member"
        );
        assert_eq!(
            reg.counts(&app, "presence-room"),
            Counts {
                subscriptions: 3,
                users: 2
            }
        );
        assert!(reg.unsubscribe(&app, &ch, SocketId::new(1, 2)));
        assert!(
            drain(&mut i1).is_empty(),
            "bob is still here on another connection"
        );
        reg.disconnect(&app, SocketId::new(1, 3), [&ch]);
        let removed = drain(&mut i1);
        assert_eq!(removed.len(), 1);
        assert!(removed[0].contains("member_removed") && removed[0].contains("bob"));
    }

    #[test]
    fn resubscribe_is_idempotent_and_empty_channels_vanish() {
        let reg = Registry::default();
        let app = AppId::from("a");
        let ch = name("news");
        let (o, _i) = outbox(1 << 20);
        reg.subscribe(&app, &ch, SocketId::new(1, 1), &o, None);
        reg.subscribe(&app, &ch, SocketId::new(1, 1), &o, None);
        assert_eq!(reg.counts(&app, "news").subscriptions, 1);
        assert_eq!(reg.channels(&app, "").len(), 1);
        assert!(reg.unsubscribe(&app, &ch, SocketId::new(1, 1)));
        assert!(!reg.unsubscribe(&app, &ch, SocketId::new(1, 1)));
        assert!(reg.channels(&app, "").is_empty());
    }

    #[test]
    fn connection_quota() {
        let reg = Registry::default();
        let app = AppId::from("a");
        reg.connect(&app, Some(1)).unwrap();
        assert_eq!(reg.connect(&app, Some(1)), Err(OverQuota));
        reg.disconnect(&app, SocketId::new(1, 1), []);
        reg.connect(&app, Some(1)).unwrap();
    }
}
