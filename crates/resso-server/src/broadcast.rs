//! What the registry fans out: a typed [`Broadcast`], shared by every subscriber behind one `Arc`.
//! Each transport encodes it lazily and at most once per publish (the Pusher message, already framed
//! as a WebSocket text frame, is cached in a `OnceLock`), so a thousand subscribers cost one
//! serialization and are written from the same bytes, and a later Socket.IO transport can add its
//! own cached encoding beside it without touching the registry.

use std::sync::OnceLock;

use bytes::Bytes;
use resso_protocol::server::{self, EventData};
use resso_protocol::{ChannelName, UserId};
use serde_json::value::RawValue;

use crate::ws::frame;

/// A message for every subscriber of one channel (or every watcher of one user).
#[derive(Debug)]
pub struct Broadcast {
    kind: Kind,
    /// Roughly how many bytes it costs in a connection's queue; computed once.
    size: usize,
    /// The Pusher message as a whole WebSocket text frame.
    pusher: OnceLock<Bytes>,
}

/// The payload of an event.
#[derive(Debug)]
pub enum Payload {
    /// From the HTTP API: a string, delivered byte-for-byte.
    Text(String),
    /// From a client: the JSON value it sent.
    Json(Box<RawValue>),
    /// A client event without `data`.
    Empty,
}

impl Payload {
    fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Json(j) => j.get().len(),
            Self::Empty => 0,
        }
    }
}

#[derive(Debug)]
enum Kind {
    Event {
        channel: ChannelName,
        event: String,
        payload: Payload,
        user_id: Option<UserId>,
    },
    MemberAdded {
        channel: ChannelName,
        user_id: UserId,
        user_info: Option<Box<RawValue>>,
    },
    MemberRemoved {
        channel: ChannelName,
        user_id: UserId,
    },
    Watchlist {
        online: bool,
        user_id: UserId,
    },
    SubscriptionCount {
        channel: ChannelName,
        count: usize,
    },
}

impl Kind {
    fn size(&self) -> usize {
        const FRAMING: usize = 64;
        let body = match self {
            Self::Event {
                channel,
                event,
                payload,
                ..
            } => channel.as_str().len() + event.len() + payload.len(),
            Self::MemberAdded {
                channel,
                user_id,
                user_info,
            } => {
                channel.as_str().len()
                    + user_id.as_str().len()
                    + user_info.as_ref().map_or(0, |i| i.get().len())
            }
            Self::MemberRemoved { channel, user_id } => {
                channel.as_str().len() + user_id.as_str().len()
            }
            Self::Watchlist { user_id, .. } => user_id.as_str().len(),
            Self::SubscriptionCount { channel, .. } => channel.as_str().len(),
        };
        body + FRAMING
    }
}

impl Broadcast {
    fn new(kind: Kind) -> Self {
        let size = kind.size();
        Self {
            kind,
            size,
            pusher: OnceLock::new(),
        }
    }

    /// A channel event; `user_id` is set for client events on presence channels.
    #[must_use]
    pub fn event(
        channel: ChannelName,
        event: String,
        payload: Payload,
        user_id: Option<UserId>,
    ) -> Self {
        Self::new(Kind::Event {
            channel,
            event,
            payload,
            user_id,
        })
    }

    #[must_use]
    pub fn member_added(
        channel: ChannelName,
        user_id: UserId,
        user_info: Option<Box<RawValue>>,
    ) -> Self {
        Self::new(Kind::MemberAdded {
            channel,
            user_id,
            user_info,
        })
    }

    #[must_use]
    pub fn member_removed(channel: ChannelName, user_id: UserId) -> Self {
        Self::new(Kind::MemberRemoved { channel, user_id })
    }

    /// A watched user came online (first signed-in connection) or went offline (last one closed).
    #[must_use]
    pub fn watchlist(online: bool, user_id: UserId) -> Self {
        Self::new(Kind::Watchlist { online, user_id })
    }

    #[must_use]
    pub fn subscription_count(channel: ChannelName, count: usize) -> Self {
        Self::new(Kind::SubscriptionCount { channel, count })
    }

    /// Roughly how many bytes this costs in a connection's queue.
    #[must_use]
    pub const fn queued_size(&self) -> usize {
        self.size
    }

    /// The Pusher message as a WebSocket text frame (header and payload), encoded on first use and
    /// shared afterwards.
    pub fn ws_frame(&self) -> &Bytes {
        self.pusher
            .get_or_init(|| frame::text(&self.encode_pusher()))
    }

    /// The Pusher message's JSON text.
    pub fn pusher_frame(&self) -> &str {
        std::str::from_utf8(frame::payload(self.ws_frame())).unwrap_or_default()
    }

    fn encode_pusher(&self) -> String {
        match &self.kind {
            Kind::Event {
                channel,
                event,
                payload,
                user_id,
            } => {
                let data = match payload {
                    Payload::Text(t) => EventData::Text(t),
                    Payload::Json(j) => EventData::Json(j),
                    Payload::Empty => EventData::None,
                };
                server::channel_event(
                    event,
                    channel.as_str(),
                    data,
                    user_id.as_ref().map(UserId::as_str),
                )
            }
            Kind::MemberAdded {
                channel,
                user_id,
                user_info,
            } => server::member_added(channel.as_str(), user_id, user_info.as_deref()),
            Kind::MemberRemoved { channel, user_id } => {
                server::member_removed(channel.as_str(), user_id)
            }
            Kind::Watchlist {
                online: true,
                user_id,
            } => server::watchlist_events(&[user_id], &[]),
            Kind::Watchlist {
                online: false,
                user_id,
            } => server::watchlist_events(&[], &[user_id]),
            Kind::SubscriptionCount { channel, count } => {
                server::subscription_count(channel.as_str(), *count)
            }
        }
    }
}
