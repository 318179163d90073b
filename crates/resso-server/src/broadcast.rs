//! What the registry fans out: a typed [`Broadcast`], shared by every subscriber behind one `Arc`.
//! Each transport encodes it lazily and at most once per publish (the Pusher frame is cached in a
//! `OnceLock`), so a thousand subscribers cost one serialization, and a later Socket.IO transport can
//! add its own cached encoding beside it without touching the registry.

use std::sync::OnceLock;

use axum::extract::ws::Utf8Bytes;
use resso_protocol::server::{self, EventData};
use resso_protocol::{ChannelName, UserId};
use serde_json::value::RawValue;

/// A message for every subscriber of one channel.
#[derive(Debug)]
pub struct Broadcast {
    kind: Kind,
    pusher: OnceLock<Utf8Bytes>,
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
}

impl Broadcast {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
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

    /// Roughly how many bytes this costs in a connection's queue.
    #[must_use]
    pub fn queued_size(&self) -> usize {
        const FRAMING: usize = 64;
        let body = match &self.kind {
            Kind::Event {
                channel,
                event,
                payload,
                ..
            } => {
                let data = match payload {
                    Payload::Text(t) => t.len(),
                    Payload::Json(j) => j.get().len(),
                    Payload::Empty => 0,
                };
                channel.as_str().len() + event.len() + data
            }
            Kind::MemberAdded {
                channel,
                user_id,
                user_info,
            } => {
                channel.as_str().len()
                    + user_id.as_str().len()
                    + user_info.as_ref().map_or(0, |i| i.get().len())
            }
            Kind::MemberRemoved { channel, user_id } => {
                channel.as_str().len() + user_id.as_str().len()
            }
        };
        body + FRAMING
    }

    /// The Pusher-protocol frame, encoded on first use and shared afterwards.
    pub fn pusher_frame(&self) -> &Utf8Bytes {
        self.pusher
            .get_or_init(|| Utf8Bytes::from(self.encode_pusher()))
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
        }
    }
}
