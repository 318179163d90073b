//! Laravel Echo's `socket.io` connector semantics, free of transport: one [`EchoSocket`] per
//! Socket.IO socket turns `subscribe` / `unsubscribe` / `client event` into registry calls, asks
//! the app to authorize private and presence channels in the background ([`auth`]), and answers
//! with Echo's `(event, channel, data)` packets. Broadcasts (events, `presence:joining` /
//! `presence:leaving`) reach the socket through the registry like any subscriber's; this module
//! only writes what is for this socket alone. Dropping the socket leaves every channel; a socket
//! that can be recovered is parked instead when its connection drops ([`recovery`]), and in a
//! cluster can be recovered on another node ([`handover`]).

pub mod auth;
mod handover;
mod parked;
mod parse;
mod recovery;
mod reply;
mod subscribe;
mod target;
mod whisper;

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use resso_protocol::{ChannelName, SocketId};
use serde_json::value::RawValue;

use crate::apps::App;
use crate::outbox::Outbox;
use crate::rate::RateWindow;
use crate::registry::{Joined, Registry};
use auth::AuthClient;
use parse::Inbound;
pub use recovery::{Connecting, Recovered};
pub use subscribe::Done;
use target::AuthTarget;

/// Most auth calls one socket may have running; more subscriptions are refused with 429.
const MAX_PENDING_AUTH: usize = 64;

/// What the engine knows about a socket when its CONNECT on `/` arrives.
#[derive(Clone)]
pub struct Connect {
    pub app: Arc<App>,
    pub socket_id: SocketId,
    pub registry: Registry,
    /// The socket's queue, for the registry's subscriptions (the engine owns the inbox).
    pub outbox: Outbox,
    /// Request headers of the handshake (the first polling GET or the websocket upgrade):
    /// `cookie`, `origin`, `referer`, `user-agent` when sent, lower-case names.
    pub headers: Vec<(String, String)>,
    /// Whether the socket can be recovered (protocol 5, the app's recovery on): its channels then
    /// keep a history.
    pub recoverable: bool,
}

/// What every Echo socket of a server shares: the auth client (one connection pool) and the
/// sessions waiting to be recovered. Cheap to clone (one pointer); one lives in the Socket.IO
/// endpoint.
#[derive(Clone, Default)]
pub struct Echo(Arc<Shared>);

#[derive(Default)]
struct Shared {
    auth: AuthClient,
    parked: Arc<parked::Parked>,
    /// Signs session ids (`pid`s): only this process can make one for a socket.
    key: recovery::PidKey,
}

impl Echo {
    /// The handler for a socket whose CONNECT arrived, authorizing channels where the app's
    /// `[apps.socketio]` says (no `auth_host`: private and presence channels are refused).
    pub fn connect(&self, c: Connect) -> EchoSocket {
        let referer = c
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("referer"))
            .map(|(_, value)| value.as_str());
        let target = c
            .app
            .config
            .socketio
            .as_ref()
            .and_then(|sio| AuthTarget::for_page(sio, referer));
        self.connect_to(c, target)
    }

    fn connect_to(&self, c: Connect, target: Option<AuthTarget>) -> EchoSocket {
        let cookie = c
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("cookie"))
            .map(|(_, value)| value.clone());
        let rate = RateWindow::new(c.app.config.limits.client_events_per_second);
        EchoSocket {
            app: c.app,
            socket_id: c.socket_id,
            registry: c.registry,
            outbox: c.outbox,
            cookie,
            auth: self.0.auth.clone(),
            target: target.map(Arc::new),
            joined: Vec::new(),
            pending: Vec::new(),
            work: None,
            rate,
            recoverable: c.recoverable,
            handed: None,
        }
    }
}

/// One Socket.IO socket's Echo state.
pub struct EchoSocket {
    app: Arc<App>,
    socket_id: SocketId,
    registry: Registry,
    outbox: Outbox,
    /// The handshake's `Cookie`, forwarded to the app's auth endpoint.
    cookie: Option<String>,
    auth: AuthClient,
    /// Where to ask; `None` when the app has no `auth_host`.
    target: Option<Arc<AuthTarget>>,
    /// Channels in the registry (with the offset each joined at, for a recovery).
    joined: Vec<Joined>,
    /// Channels whose auth call is running (an unsubscribe removes them: the answer is dropped).
    pending: Vec<ChannelName>,
    /// The running auth calls, while there are any: an empty `FuturesUnordered` holds an
    /// allocation, and most sockets are idle most of their life (boxed, so an idle socket does
    /// not carry its fields either).
    work: Option<Box<FuturesUnordered<BoxFuture<'static, Done>>>>,
    rate: RateWindow,
    /// Whether its channels keep a history for its recovery.
    recoverable: bool,
    /// For a session handed over from another node: its `pid` there and how far each node's
    /// publishes had reached it (boxed: most sockets have none).
    handed: Option<Box<handover::HandedOver>>,
}

impl EchoSocket {
    /// The socket's id (`socket.id`), which a recovery keeps.
    pub const fn socket_id(&self) -> SocketId {
        self.socket_id
    }

    fn is_joined(&self, channel: &str) -> bool {
        self.joined.iter().any(|j| j.channel.as_str() == channel)
    }

    fn unsubscribe(&mut self, channel: &str) {
        self.pending.retain(|c| c.as_str() != channel);
        let Some(at) = self
            .joined
            .iter()
            .position(|j| j.channel.as_str() == channel)
        else {
            return;
        };
        let channel = self.joined.swap_remove(at).channel;
        self.registry
            .unsubscribe(&self.app, &channel, self.socket_id);
    }
}

impl EchoSocket {
    /// An EVENT on `/`: `args` is the packet's JSON array as sent (`["subscribe",{…}]`).
    /// Replies for this socket only are pushed to `out` as Engine.IO packet texts (`42[…]`).
    pub fn on_event(&mut self, args: &RawValue, out: &mut Vec<Bytes>) {
        match Inbound::parse(args) {
            Ok(Inbound::Subscribe { channel, headers }) => self.subscribe(&channel, headers, out),
            Ok(Inbound::Unsubscribe { channel }) => self.unsubscribe(&channel),
            Ok(Inbound::ClientEvent {
                channel,
                event,
                data,
            }) => {
                if let Err(why) = self.client_event(&channel, event, data) {
                    tracing::debug!(socket = %self.socket_id, channel, "client event dropped: {why}");
                }
            }
            Err(why) => {
                tracing::debug!(socket = %self.socket_id, "Socket.IO event ignored: {why}");
            }
        }
    }

    /// Background work (auth calls to the app) that finished; `Poll::Pending` when none is ready
    /// or none is running (the task is woken when one finishes). Cancel-safe.
    pub fn poll_work(&mut self, cx: &mut Context<'_>, out: &mut Vec<Bytes>) -> Poll<()> {
        let mut any = false;
        while let Some(Poll::Ready(Some(done))) = self.work.as_mut().map(|w| w.poll_next_unpin(cx))
        {
            self.finish(done, out);
            any = true;
        }
        if self.work.as_ref().is_some_and(|w| w.is_empty()) {
            self.work = None;
        }
        if any {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for EchoSocket {
    /// Leaves every channel; the engine, which counted the socket in, takes it out afterwards.
    fn drop(&mut self) {
        for joined in &self.joined {
            self.registry
                .unsubscribe(&self.app, &joined.channel, self.socket_id);
        }
    }
}

#[cfg(test)]
mod tests;
