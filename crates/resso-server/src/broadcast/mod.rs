//! What the registry fans out: a typed [`Broadcast`], shared by every subscriber behind one `Arc`.
//! Each protocol encodes it lazily and at most once per publish — the Pusher message by
//! [`crate::pusher`], the Socket.IO packet by `sio` — each cached in a `OnceLock` already framed as
//! a WebSocket text frame, so a thousand subscribers cost one serialization per protocol and are
//! written from the same bytes. The registry never encodes anything.

mod sio;

pub(crate) use sio::SioUserId;

use std::sync::OnceLock;

use bytes::Bytes;
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
    /// The Socket.IO packet, framed and bare (one buffer); never set for what Socket.IO clients
    /// never get.
    sio: OnceLock<sio::Encoded>,
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

/// What a broadcast says, for the protocol codecs.
#[derive(Debug)]
pub enum Kind {
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
        /// The info the member joined with, when the registry still knows it (Socket.IO's
        /// `presence:leaving` carries it; Pusher's `member_removed` does not).
        user_info: Option<Box<RawValue>>,
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
            }
            | Self::MemberRemoved {
                channel,
                user_id,
                user_info,
            } => {
                channel.as_str().len()
                    + user_id.as_str().len()
                    + user_info.as_ref().map_or(0, |i| i.get().len())
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
            sio: OnceLock::new(),
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

    /// A presence member left; `user_info` is what it joined with, if known.
    #[must_use]
    pub fn member_removed(
        channel: ChannelName,
        user_id: UserId,
        user_info: Option<Box<RawValue>>,
    ) -> Self {
        Self::new(Kind::MemberRemoved {
            channel,
            user_id,
            user_info,
        })
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

    /// What it says.
    #[must_use]
    pub const fn kind(&self) -> &Kind {
        &self.kind
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
            .get_or_init(|| frame::text(&crate::pusher::broadcast(&self.kind)))
    }

    /// The Pusher message's JSON text.
    pub fn pusher_frame(&self) -> &str {
        std::str::from_utf8(frame::payload(self.ws_frame())).unwrap_or_default()
    }

    /// The Engine.IO message packet (`42["event","channel",data]`, the same for EIO 3 and 4),
    /// encoded on first use and shared afterwards; `None` for what Socket.IO clients never get
    /// (subscription counts, watchlist events).
    pub fn sio_packet(&self) -> Option<&Bytes> {
        self.sio_encoded().map(|e| &e.packet)
    }

    /// [`Self::sio_packet`] as a complete WebSocket text frame, from the same buffer.
    pub fn sio_ws_frame(&self) -> Option<&Bytes> {
        self.sio_encoded().map(|e| &e.frame)
    }

    fn sio_encoded(&self) -> Option<&sio::Encoded> {
        if let Some(encoded) = self.sio.get() {
            return Some(encoded);
        }
        let packet = sio::packet(&self.kind)?;
        Some(self.sio.get_or_init(|| sio::Encoded::new(&packet)))
    }
}
