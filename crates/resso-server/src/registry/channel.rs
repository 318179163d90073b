//! One channel's state: its subscribers and, for presence channels, its members (one entry per
//! user, counting that user's connections). Fan-out lives here: a [`Broadcast`] is pushed to each
//! subscriber's outbox, never encoded per subscriber — after the channel's recovery
//! [`History`], if it keeps one, has given it its offset.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use resso_protocol::presence::Member;
use resso_protocol::{ChannelName, SocketId, UserId};
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::history::History;
use super::State;
use crate::apps::App;
use crate::broadcast::Broadcast;
use crate::outbox::Outbox;

#[derive(Default)]
pub(super) struct Channel {
    pub subscribers: HashMap<SocketId, Subscriber>,
    pub members: HashMap<UserId, Presence>,
    /// When `subscription_count` was last sent (throttled on large channels).
    pub count_sent_at: Option<Instant>,
    /// Recent broadcasts, once a recoverable Socket.IO socket joined.
    pub history: Option<Box<History>>,
}

pub(super) struct Subscriber {
    pub outbox: Outbox,
    pub user: Option<UserId>,
}

pub(super) struct Presence {
    pub info: Option<Box<RawValue>>,
    pub sockets: usize,
}

impl Channel {
    /// Adds one connection of a presence member; returns whether it is the user's first here.
    pub fn add_member(&mut self, member: &Member) -> bool {
        let presence = self
            .members
            .entry(member.user_id.clone())
            .or_insert_with(|| Presence {
                info: member.user_info.clone(),
                sockets: 0,
            });
        presence.sockets += 1;
        presence.sockets == 1
    }

    /// Drops one connection of `user`; when it was the user's last here, returns the info the
    /// user joined with.
    pub fn remove_member(&mut self, user: &UserId) -> Option<Option<Box<RawValue>>> {
        let presence = self.members.get_mut(user)?;
        presence.sockets -= 1;
        if presence.sockets > 0 {
            return None;
        }
        self.members.remove(user).map(|p| p.info)
    }

    /// Queues `msg` for every subscriber but `except` (kept in the history first, if the channel
    /// has one); returns how many took it.
    pub fn send(&mut self, msg: &Arc<Broadcast>, except: Option<SocketId>) -> usize {
        if let Some(history) = &mut self.history {
            history.record(msg, except);
        }
        self.deliver(msg, except)
    }

    /// Queues `msg`, which no history keeps (`subscription_count`), for every subscriber but
    /// `except`; returns how many took it.
    pub fn deliver(&self, msg: &Arc<Broadcast>, except: Option<SocketId>) -> usize {
        let mut sent = 0;
        for (id, sub) in &self.subscribers {
            if Some(*id) != except && sub.outbox.push(msg) {
                sent += 1;
            }
        }
        sent
    }

    /// The presence member list: these members joined with `others` (members on other nodes),
    /// one entry per user.
    pub fn members<'a>(
        &'a self,
        others: impl Iterator<Item = (&'a UserId, Option<&'a RawValue>)>,
    ) -> Vec<Member> {
        let mut seen = HashSet::new();
        let local = self.members.iter().map(|(id, p)| (id, p.info.as_deref()));
        local
            .chain(others)
            .filter(|(id, _)| seen.insert(*id))
            .map(|(id, info)| Member {
                user_id: id.clone(),
                user_info: info.map(ToOwned::to_owned),
            })
            .collect()
    }
}

/// Queues `msg` for every subscriber of `channel` in `state` but `except`, and starts timing its
/// fan-out; returns how many got it.
pub(super) fn fan_out(
    state: &mut State,
    app: &App,
    channel: &ChannelName,
    msg: &Arc<Broadcast>,
    except: Option<SocketId>,
) -> usize {
    let entry = state
        .apps
        .get_mut(&app.id)
        .and_then(|a| a.channels.get_mut(channel));
    let Some(entry) = entry else {
        return 0;
    };
    let queued = entry.send(msg, except);
    msg.fanned_out(&app.meters, queued);
    queued
}
