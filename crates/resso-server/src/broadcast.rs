//! What the registry fans out: a typed [`Broadcast`], shared by every subscriber behind one `Arc`.
//! It has one encoded slot per protocol and no encoder of its own: each protocol's [`Codec`] passes
//! itself in, and the broadcast keeps what it made — already framed as a WebSocket text frame — so
//! a thousand subscribers cost one serialization per protocol and are written from the same bytes.
//! The registry never encodes anything. A broadcast on a channel that keeps a history for
//! Socket.IO's connection state recovery also carries its offset there, set once before it is
//! fanned out, so the encodings that include it are still made once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use resso_protocol::{ChannelName, UserId};
use serde_json::value::RawValue;

use crate::metrics::AppMeters;
use crate::ws::frame;

/// A message for every subscriber of one channel (or every watcher of one user).
#[derive(Debug)]
pub struct Broadcast {
    kind: Kind,
    /// Roughly how many bytes it costs in a connection's queue; computed once.
    size: usize,
    /// Its offset in its channel's history (`0`: none), set before it is fanned out.
    offset: AtomicU64,
    /// In a cluster, the node that published it and its number among that node's publishes
    /// (`0`: none): how a recovery handed over between nodes tells what the client already got.
    origin: [AtomicU64; 2],
    /// Each protocol's encoding, made by its [`Codec`] on first use.
    encoded: [OnceLock<Option<Encoded>>; SLOTS],
    /// When it was made, for `fanout_seconds`.
    made: Instant,
    /// Its local deliveries not yet taken for writing, plus [`UNFINISHED`] until its fan-out ends:
    /// whoever brings it to zero — the fan-out or the last writer — times it.
    pending: AtomicU64,
    /// The meters of the app it was fanned out for, set when its fan-out ends.
    meters: OnceLock<Arc<AppMeters>>,
}

/// More than any fan-out's deliveries, so `pending` cannot reach zero before the fan-out ends.
const UNFINISHED: u64 = 1 << 48;

/// How many encodings a broadcast may have (Pusher; Socket.IO with its offset, for protocol 5;
/// Socket.IO without, for socket.io-client 2).
const SLOTS: usize = 3;

/// A protocol's encoder of broadcasts.
pub trait Codec {
    /// Which of a broadcast's slots keeps this protocol's encoding (below [`SLOTS`]).
    const SLOT: usize;
    /// `kind` as this protocol's message (with its history `offset`, if it has one), or `None`
    /// when its clients never get it.
    fn encode(kind: &Kind, offset: Option<u64>) -> Option<Encoded>;
}

/// A message as a WebSocket text frame, and its payload alone, in one buffer.
#[derive(Debug)]
pub struct Encoded {
    frame: Bytes,
    payload: Bytes,
}

impl Encoded {
    /// Frames `text` once; the payload is a view into the same buffer.
    #[must_use]
    pub fn new(text: &str) -> Self {
        let frame = frame::text(text);
        let payload = frame.slice(frame::header_len(text.len())..);
        Self { frame, payload }
    }

    /// The whole WebSocket frame, header included.
    #[must_use]
    pub const fn frame(&self) -> &Bytes {
        &self.frame
    }

    /// The message alone (for transports that frame it themselves, such as polling).
    #[must_use]
    pub const fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The message as text.
    #[must_use]
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.payload).unwrap_or_default()
    }
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
    /// The payload as the cluster's wire carries it: a text, a JSON value, or neither.
    #[must_use]
    pub fn from_parts(text: Option<String>, json: Option<Box<RawValue>>) -> Self {
        match (text, json) {
            (Some(text), _) => Self::Text(text),
            (None, Some(json)) => Self::Json(json),
            (None, None) => Self::Empty,
        }
    }

    /// The payload's text and JSON value, as [`Payload::from_parts`] takes them.
    #[must_use]
    pub fn to_parts(&self) -> (Option<String>, Option<Box<RawValue>>) {
        match self {
            Self::Text(t) => (Some(t.clone()), None),
            Self::Json(j) => (None, Some(j.clone())),
            Self::Empty => (None, None),
        }
    }

    /// The text of an HTTP API payload (what a cache channel keeps).
    #[must_use]
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Json(_) | Self::Empty => None,
        }
    }

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
            offset: AtomicU64::new(0),
            origin: [AtomicU64::new(0), AtomicU64::new(0)],
            encoded: Default::default(),
            made: Instant::now(),
            pending: AtomicU64::new(UNFINISHED),
            meters: OnceLock::new(),
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

    /// Gives the message its `offset` (non-zero) in its channel's history; done once, under the
    /// registry's lock, before it is queued for anyone (queueing publishes it to the readers).
    pub fn set_offset(&self, offset: u64) {
        self.offset.store(offset, Ordering::Relaxed);
    }

    /// Its offset in its channel's history, if it was kept in one.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        match self.offset.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Its fan-out for `meters`' app ended with `queued` local deliveries. One atomic operation,
    /// once per broadcast.
    pub fn fanned_out(&self, meters: &Arc<AppMeters>, queued: usize) {
        if queued == 0 {
            return;
        }
        let _ = self.meters.set(meters.clone());
        let rest = UNFINISHED - queued as u64;
        if self.pending.fetch_sub(rest, Ordering::AcqRel) == rest {
            self.time_fanout();
        }
    }

    /// A subscriber's connection took it from its queue to write it (one atomic operation per
    /// delivery, beside the two its reference count costs).
    pub fn taken(&self) {
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.time_fanout();
        }
    }

    fn time_fanout(&self) {
        if let Some(meters) = self.meters.get() {
            meters.fanned_out(self.made.elapsed());
        }
    }

    /// Names the node that published it and its number `seq` (non-zero) there; done once, under
    /// the registry's lock, before it is queued for anyone.
    pub fn set_origin(&self, node: u64, seq: u64) {
        self.origin[0].store(node, Ordering::Relaxed);
        self.origin[1].store(seq, Ordering::Relaxed);
    }

    /// The node that published it and its number there, if it crossed a cluster.
    #[must_use]
    pub fn origin(&self) -> Option<(u64, u64)> {
        match self.origin[1].load(Ordering::Relaxed) {
            0 => None,
            seq => Some((self.origin[0].load(Ordering::Relaxed), seq)),
        }
    }

    /// This message as `C` encodes it, made on first use and shared afterwards; `None` for what
    /// `C`'s clients never get.
    pub fn encoded<C: Codec>(&self) -> Option<&Encoded> {
        self.encoded[C::SLOT]
            .get_or_init(|| C::encode(&self.kind, self.offset()))
            .as_ref()
    }
}
