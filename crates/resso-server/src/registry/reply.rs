//! What the registry answers a subscribe or a signin with, as types: the member list, the cached
//! event (the very [`Broadcast`] every subscriber got, never re-parsed), the watchlist status. Each
//! protocol encodes them its own way ([`crate::pusher`] for Pusher clients).

use std::sync::Arc;

use resso_protocol::presence::Member;
use resso_protocol::UserId;

use crate::broadcast::Broadcast;

/// A subscription that holds.
#[derive(Debug)]
pub struct Subscribed {
    /// On presence channels: every member cluster-wide, one entry per user, the subscriber
    /// included (its length is the member count).
    pub members: Option<Vec<Member>>,
    /// On cache channels: what to replay right after the confirmation.
    pub replay: Option<Replay>,
}

/// A cache channel's answer to a new subscriber.
#[derive(Debug)]
pub enum Replay {
    /// The channel's last HTTP API event, still live.
    Event(Arc<Broadcast>),
    /// Nothing cached.
    Miss,
}

/// Who of a signed-in user's watchlist is online now.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Watchlist {
    pub online: Vec<UserId>,
    pub offline: Vec<UserId>,
}
