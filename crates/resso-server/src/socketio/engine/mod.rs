//! What a socket's task does with each packet, free of I/O: Engine.IO heartbeats per version (EIO 3:
//! the client pings and the server answers; EIO 4: the other way round), Socket.IO CONNECT on `/`
//! (protocol 4: the server connects unasked; 5: it answers the client's `40{…}` with the socket
//! id, and a `pid` with what a recovered session missed: [`echo`](super::echo)'s recovery), other
//! namespaces refused with a CONNECT_ERROR, events handed to the [`Handler`], and the socket's own
//! outgoing packets queued in order with the broadcasts, bounded by bytes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use resso_protocol::socketio::engine::{self as eio, Packet};
use resso_protocol::socketio::packet::{self, Kind, PacketError, DEFAULT_NAMESPACE};
use resso_protocol::socketio::EngineVersion;
use resso_protocol::{ErrorCode, SocketId};
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::beat::{EngineBeat, Fire};
use super::codec::{SocketIo, SocketIoPlain};
use super::echo::Echo;
use super::echo::{EchoSocket, Recovered};
use super::EngineSessions;
use crate::apps::App;
use crate::broadcast::{Broadcast, Encoded};
use crate::metrics;
use crate::outbox::Outbox;
use crate::registry::Registry;
use crate::tap::{Entry, Via};
use crate::ws::frame;
use crate::ws::Violation;

mod connect;

pub(super) use connect::recoverable;

/// Why a socket's task ends.
#[derive(Debug)]
pub(super) enum SocketEnd {
    /// The transport is gone (closed, or an Engine.IO close): nothing more to send.
    Gone,
    /// The client disconnected its socket (a Socket.IO DISCONNECT): it will not come back.
    Left,
    /// The client sent a WebSocket close frame (with this code): answer it.
    Answer(Option<u16>),
    /// Bad input or a lapsed heartbeat: close the engine.
    Close,
    /// The registry asked (overflow 4100, terminate 4009, shutdown 4200).
    Doomed(ErrorCode),
    /// The client broke the WebSocket protocol.
    Violation(Violation),
}

/// Something waiting to be written, in order.
pub(super) enum Queued {
    /// One of this socket's own packets (open, pong, replies).
    Own(Bytes),
    /// A broadcast, written from its shared encoding.
    Broadcast(Arc<Broadcast>),
    /// A WebSocket control frame (a pong), dropped if the socket is polling.
    Frame(Bytes),
}

/// Who the socket is, for the registry and the handler.
pub(super) struct Identity {
    pub app: Arc<App>,
    pub socket_id: SocketId,
    pub registry: Registry,
    pub outbox: Outbox,
    pub headers: Vec<(String, String)>,
    /// Where a polling session is listed by sid; `None` for a socket born on the websocket.
    pub sessions: Option<Arc<EngineSessions>>,
    /// The application behind the socket (Echo's connector), shared by the server's sockets.
    pub echo: Echo,
    pub sid: String,
}

/// One socket's state between packets.
pub(super) struct Engine {
    pub version: EngineVersion,
    id: Identity,
    handler: Option<Box<EchoSocket>>,
    out: VecDeque<Queued>,
    /// Bytes of the own packets queued (broadcasts are bounded by the outbox).
    out_bytes: usize,
    limit: usize,
    pub beat: EngineBeat,
    /// The session waits for a recovery: the registry already counts the connection out.
    parked: bool,
    /// The socket closes once what is queued is written (its CONNECT was refused).
    closing: bool,
    /// A CONNECT waiting for another node to hand its session over (boxed again: it is rare,
    /// and every socket's task carries the field).
    claim: Option<Box<BoxFuture<'static, Recovered>>>,
}

impl Engine {
    pub fn new(version: EngineVersion, id: Identity, limit: usize, beat: EngineBeat) -> Self {
        Self {
            version,
            id,
            handler: None,
            out: VecDeque::new(),
            out_bytes: 0,
            limit,
            beat,
            parked: false,
            closing: false,
            claim: None,
        }
    }

    pub fn sid(&self) -> &str {
        &self.id.sid
    }

    pub const fn socket_id(&self) -> SocketId {
        self.id.socket_id
    }

    /// How long an upgrade may take to complete: one heartbeat timeout.
    pub const fn beat_timeout(&self) -> Duration {
        self.beat.timeout
    }

    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the socket must close now that its output was written.
    pub const fn closing(&self) -> bool {
        self.closing
    }

    /// Queues one of the socket's own packets; a client that lets them pile up is closed as a
    /// slow consumer.
    pub fn push(&mut self, packet: impl Into<Bytes>) -> Result<(), SocketEnd> {
        let packet = packet.into();
        self.out_bytes += packet.len();
        self.out.push_back(Queued::Own(packet));
        if self.out_bytes > self.limit {
            return Err(SocketEnd::Doomed(ErrorCode::OverCapacity));
        }
        Ok(())
    }

    pub fn push_frame(&mut self, frame: Bytes) {
        self.out.push_back(Queued::Frame(frame));
    }

    /// Queues a broadcast Socket.IO clients get (the others have no Socket.IO encoding), unless
    /// the socket, handed over from another node, had it there.
    pub fn push_broadcast(&mut self, msg: Arc<Broadcast>) {
        if self.handler.as_ref().is_some_and(|h| h.had(&msg)) {
            return;
        }
        if encoded(self.version, &msg).is_some() {
            self.out.push_back(Queued::Broadcast(msg));
        }
    }

    /// Everything queued as WebSocket frames.
    pub fn take_frames(&mut self) -> Vec<Bytes> {
        self.out_bytes = 0;
        let version = self.version;
        let frames: Vec<Bytes> = self
            .out
            .drain(..)
            .filter_map(|q| match q {
                Queued::Own(p) => Some(frame::text(std::str::from_utf8(&p).unwrap_or_default())),
                Queued::Broadcast(b) => encoded(version, &b).map(|e| e.frame().clone()),
                Queued::Frame(f) => Some(f),
            })
            .collect();
        self.count_sent(&frames);
        frames
    }

    /// Everything queued as packet texts, for a polling response.
    pub fn take_packets(&mut self) -> Vec<Bytes> {
        self.out_bytes = 0;
        let version = self.version;
        let packets: Vec<Bytes> = self
            .out
            .drain(..)
            .filter_map(|q| match q {
                Queued::Own(p) => Some(p),
                Queued::Broadcast(b) => encoded(version, &b).map(|e| e.payload().clone()),
                Queued::Frame(_) => None,
            })
            .collect();
        self.count_sent(&packets);
        packets
    }

    fn count_sent(&self, sent: &[Bytes]) {
        let bytes = sent.iter().map(Bytes::len).sum();
        let meters = &self.id.app.meters;
        meters.sent(metrics::Protocol::SocketIo, sent.len(), bytes);
    }

    /// Counts the socket's end (with the WebSocket close code it amounts to).
    pub fn count_end(&self, end: &SocketEnd) {
        let code = match end {
            SocketEnd::Gone | SocketEnd::Left => 1006,
            SocketEnd::Answer(code) => code.unwrap_or(1005),
            SocketEnd::Close => 1000,
            SocketEnd::Doomed(code) => code.code(),
            SocketEnd::Violation(v) => v.close().0,
        };
        self.id
            .app
            .meters
            .disconnected(metrics::Protocol::SocketIo, code);
        self.id.app.tap.emit(|| Entry::Disconnected {
            socket: self.id.socket_id.to_string(),
            via: Via::SocketIo,
            code,
        });
    }

    /// Puts back packets a vanished long poll never delivered, ahead of anything newer.
    pub fn requeue(&mut self, packets: Vec<Bytes>) {
        for p in packets.into_iter().rev() {
            self.out_bytes += p.len();
            self.out.push_front(Queued::Own(p));
        }
    }

    /// One Engine.IO text packet from the client.
    pub fn on_text(&mut self, text: &str) -> Result<(), SocketEnd> {
        let meters = &self.id.app.meters;
        meters.received(metrics::Protocol::SocketIo, text.len());
        let now = Instant::now();
        self.beat.activity(now);
        let packet = eio::decode(text, self.version).map_err(|e| {
            tracing::debug!(sid = self.sid(), "bad Engine.IO packet: {e}");
            SocketEnd::Close
        })?;
        match packet {
            Packet::Ping(data) if self.version == EngineVersion::V3 => {
                self.push(eio::encode(&Packet::Pong(data), self.version))
            }
            Packet::Pong(_) => {
                self.beat.pong(now);
                Ok(())
            }
            Packet::Message(message) => self.on_message(message),
            Packet::Close => Err(SocketEnd::Gone),
            Packet::Ping(_) | Packet::Open(_) | Packet::Upgrade | Packet::Noop => Ok(()),
            Packet::Binary(_) => {
                tracing::debug!(sid = self.sid(), "binary message ignored");
                Ok(())
            }
        }
    }

    /// One Socket.IO packet.
    fn on_message(&mut self, text: &str) -> Result<(), SocketEnd> {
        let p = match packet::decode(text) {
            Ok(p) => p,
            Err(PacketError::Binary) => {
                tracing::debug!(sid = self.sid(), "binary Socket.IO packet refused");
                return Ok(());
            }
            Err(e) => {
                tracing::debug!(sid = self.sid(), "bad Socket.IO packet: {e}");
                return Err(SocketEnd::Close);
            }
        };
        let default = p.namespace == DEFAULT_NAMESPACE;
        match p.kind {
            Kind::Connect if !default => {
                let refusal = packet::connect_error(self.version, p.namespace, "Invalid namespace");
                self.push(refusal)
            }
            Kind::Connect if self.waits_for_connect() => self.connect(p.data),
            Kind::Event if default && self.waits_for_connect() => {
                // The spec: a server that does not get CONNECT first MUST close the connection.
                tracing::debug!(sid = self.sid(), "EVENT before CONNECT: closing");
                Err(SocketEnd::Close)
            }
            Kind::Event if default => {
                self.on_event(p.data)?;
                p.id.map_or(Ok(()), |id| self.push(packet::ack(id)))
            }
            Kind::Disconnect if default => Err(SocketEnd::Left),
            // A repeated CONNECT, acks (we never ask for one), anything on other namespaces.
            Kind::Connect | Kind::Event | Kind::Disconnect | Kind::Ack | Kind::ConnectError => {
                Ok(())
            }
        }
    }

    /// Whether a protocol 5 socket has sent no CONNECT yet.
    fn waits_for_connect(&self) -> bool {
        self.handler.is_none() && self.claim.is_none() && self.version == EngineVersion::V4
    }

    fn on_event(&mut self, args: Option<&RawValue>) -> Result<(), SocketEnd> {
        let (Some(handler), Some(args)) = (self.handler.as_mut(), args) else {
            return Ok(()); // not connected (yet): ignored, as socket.io does
        };
        let mut replies = Vec::new();
        handler.on_event(args, &mut replies);
        replies.into_iter().try_for_each(|r| self.push(r))
    }

    /// Collects the handler's finished background work.
    pub fn poll_work(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SocketEnd>> {
        if self.claim.is_some() {
            return self.poll_claim(cx);
        }
        let Some(handler) = self.handler.as_mut() else {
            return Poll::Pending;
        };
        let mut replies = Vec::new();
        match handler.poll_work(cx, &mut replies) {
            Poll::Ready(()) => Poll::Ready(replies.into_iter().try_for_each(|r| self.push(r))),
            Poll::Pending if replies.is_empty() => Poll::Pending,
            Poll::Pending => Poll::Ready(replies.into_iter().try_for_each(|r| self.push(r))),
        }
    }

    /// The timer fired: a ping to send, or a dead peer.
    pub fn on_timer(&mut self, now: Instant) -> Result<(), SocketEnd> {
        if self.beat.connect_by.is_some_and(|by| by <= now) {
            tracing::debug!(sid = self.sid(), "no CONNECT in time");
            return Err(SocketEnd::Close);
        }
        if now < self.beat.deadline {
            return Ok(());
        }
        match self.beat.fire(now) {
            Fire::Ping => self.push(eio::encode(&Packet::Ping(""), self.version)),
            Fire::Dead => {
                tracing::debug!(sid = self.sid(), "heartbeat lapsed");
                Err(SocketEnd::Close)
            }
        }
    }
}

/// `msg` as clients of `version` get it: with its offset for protocol 5 (socket.io-client 3/4),
/// without for protocol 4 (socket.io-client 2, which has no recovery).
fn encoded(version: EngineVersion, msg: &Broadcast) -> Option<&Encoded> {
    match version {
        EngineVersion::V3 => msg.encoded::<SocketIoPlain>(),
        EngineVersion::V4 => msg.encoded::<SocketIo>(),
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(sessions) = &self.id.sessions {
            sessions.remove(&self.id.sid);
        }
        drop(self.claim.take()); // a session being handed over leaves the channels it joined
        drop(self.handler.take()); // leaves its channels first
        let id = &self.id;
        if !self.parked {
            id.registry
                .disconnect(&id.app, id.socket_id, std::iter::empty());
        }
    }
}
