//! The seam between the Engine.IO transport (this module's parent) and the Socket.IO application
//! logic (Echo's connector, `socketio::echo`): the engine admits a socket, and when its CONNECT on
//! `/` arrives hands a [`Connect`] to the application, which answers with a [`Handler`] or a
//! [`Refused`]. The handler never sees a transport; the engine never parses an event.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use resso_protocol::SocketId;
use serde_json::value::RawValue;

use crate::apps::App;
use crate::outbox::Outbox;
use crate::registry::Registry;

/// What the engine knows about a socket when its CONNECT on `/` arrives.
pub struct Connect {
    pub app: Arc<App>,
    pub socket_id: SocketId,
    pub registry: Registry,
    /// The socket's queue, for the registry's subscriptions (the engine owns the inbox).
    pub outbox: Outbox,
    /// Request headers of the handshake (the first polling GET or the websocket upgrade):
    /// `cookie`, `origin`, `referer`, `user-agent` when sent, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The CONNECT payload (v5 `40{…}`), raw JSON; `None` for v4 clients.
    pub auth: Option<Box<RawValue>>,
}

/// Why the application refused a CONNECT; the client gets a CONNECT_ERROR with the message.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Message(String),
}

/// One socket's Socket.IO application logic, free of transport. The engine connected the socket
/// to the registry before the handler exists and disconnects it after the handler is dropped;
/// dropping the handler must leave every channel it joined.
pub trait Handler: Send + 'static {
    /// An EVENT on `/`: `args` is the packet's JSON array as sent (`["subscribe",{…}]`).
    /// Replies for this socket only are pushed to `out` as Engine.IO packet texts (`42[…]`).
    fn on_event(&mut self, args: &RawValue, out: &mut Vec<Bytes>);

    /// Background work (auth calls to the app) that finished; `Poll::Pending` when none is ready or
    /// none is running (the task is woken when one finishes). Cancel-safe.
    fn poll_work(&mut self, cx: &mut Context<'_>, out: &mut Vec<Bytes>) -> Poll<()>;
}

/// The application behind every Socket.IO socket.
///
/// # Errors
/// [`Refused`] when the application turns the socket away.
pub fn connect(c: Connect) -> Result<Box<dyn Handler>, Refused> {
    super::minimal::connect(c)
}
