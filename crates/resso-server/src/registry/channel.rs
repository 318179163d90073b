//! One channel's state: its subscribers and, for presence channels, its members (one entry per
//! user, counting that user's connections). Fan-out lives here: a [`Broadcast`] is pushed to each
//! subscriber's outbox, never encoded per subscriber.

use std::collections::HashMap;
use std::sync::Arc;

use resso_protocol::presence::Member;
use resso_protocol::{server, ChannelKind, ChannelName, SocketId, UserId};
use serde_json::value::RawValue;
use tokio::time::Instant;

use crate::broadcast::Broadcast;
use crate::outbox::Outbox;

#[derive(Default)]
pub(super) struct Channel {
    pub subscribers: HashMap<SocketId, Subscriber>,
    pub members: HashMap<UserId, Presence>,
    /// When `subscription_count` was last sent (throttled on large channels).
    pub count_sent_at: Option<Instant>,
}

pub(super) struct Subscriber {
    pub outbox: Outbox,
    pub user: Option<UserId>,
}

pub(super) struct Presence {
    info: Option<Box<RawValue>>,
    sockets: usize,
}

impl Channel {
    /// Whether `member` would be a new user in a channel already holding `limit` users.
    pub fn is_full_for(&self, member: &Member, limit: usize) -> bool {
        !self.members.contains_key(&member.user_id) && self.members.len() >= limit
    }

    /// Adds a presence member; returns whether it is the user's first connection (and so others
    /// were told `member_added`).
    pub fn add_member(&mut self, channel: &ChannelName, socket: SocketId, member: &Member) -> bool {
        let presence = self
            .members
            .entry(member.user_id.clone())
            .or_insert_with(|| Presence {
                info: member.user_info.clone(),
                sockets: 0,
            });
        presence.sockets += 1;
        if presence.sockets > 1 {
            return false;
        }
        let info = presence.info.clone();
        let msg = Arc::new(Broadcast::member_added(
            channel.clone(),
            member.user_id.clone(),
            info,
        ));
        self.send(&msg, Some(socket));
        true
    }

    /// Drops one connection of `user`; returns whether it was the last (and so others were told
    /// `member_removed`).
    pub fn remove_member(&mut self, channel: &ChannelName, user: &UserId) -> bool {
        let Some(presence) = self.members.get_mut(user) else {
            return false;
        };
        presence.sockets -= 1;
        if presence.sockets > 0 {
            return false;
        }
        self.members.remove(user);
        let msg = Arc::new(Broadcast::member_removed(channel.clone(), user.clone()));
        self.send(&msg, None);
        true
    }

    /// Queues `msg` for every subscriber but `except`; returns how many took it.
    pub fn send(&self, msg: &Arc<Broadcast>, except: Option<SocketId>) -> usize {
        let mut sent = 0;
        for (id, sub) in &self.subscribers {
            if Some(*id) != except && sub.outbox.push(msg) {
                sent += 1;
            }
        }
        sent
    }

    /// The `subscription_succeeded` frame, with the member list on presence channels.
    pub fn succeeded_frame(&self, channel: &ChannelName) -> String {
        if channel.kind() != ChannelKind::Presence {
            return server::subscription_succeeded(channel.as_str());
        }
        let members = self.members.iter().map(|(id, p)| (id, p.info.as_deref()));
        server::presence_succeeded(channel.as_str(), members)
    }
}
