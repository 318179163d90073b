//! The seam between the Socket.IO transport and the application logic behind it: what the engine
//! knows about a socket when its CONNECT on `/` arrives, and the [`Handler`] it drives.

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
    pub outbox: Outbox,
    /// Request headers of the handshake, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The CONNECT payload (v5 `40{…}`), raw JSON; `None` for v4 clients.
    pub auth: Option<Box<RawValue>>,
}

/// One socket's Socket.IO application logic, free of transport. Dropping it leaves every channel.
pub trait Handler: Send + 'static {
    /// An EVENT on `/`: `args` is the packet's JSON array as sent (`["subscribe",{…}]`).
    /// Replies for this socket only are pushed to `out` as engine packet texts (`42[…]`).
    fn on_event(&mut self, args: &RawValue, out: &mut Vec<Bytes>);
    /// Background work that finished; `Poll::Pending` when none is ready or none is running (the
    /// task is woken when one finishes). Cancel-safe.
    fn poll_work(&mut self, cx: &mut Context<'_>, out: &mut Vec<Bytes>) -> Poll<()>;
}
