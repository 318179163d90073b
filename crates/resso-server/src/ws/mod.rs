//! The WebSocket endpoint `/app/{key}`. The upgrade always completes — even for an unknown key —
//! because pusher-js cannot tell a refused upgrade from a network fault and would retry forever;
//! the refusal is sent as `pusher:error` plus a close frame with the protocol's code (§1.2).
//!
//! The WebSocket layer is our own and small: [`upgrade`] takes valid upgrades off new connections
//! before hyper sees them, [`handshake`] checks them and makes the 101, [`frame`] encodes and
//! decodes RFC 6455 frames, [`socket`] reads and writes them over any stream (TCP today) so an idle
//! connection holds no buffers, and a broadcast's frame is encoded once and written to every
//! subscriber from the same bytes.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub mod frame;
pub mod handshake;
pub mod socket;
pub mod upgrade;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use futures_util::FutureExt;
use resso_protocol::{ErrorCode, SocketId};
use tokio::net::TcpStream;

use crate::apps::App;
use crate::connection::{self, Heartbeat, Protocol};
use crate::outbox::{outbox, Inbox};
use crate::registry::Unwelcome;
use crate::session::Session;
use crate::Shared;
use upgrade::Request;

pub use frame::{Incoming, Violation};
pub use socket::{ReadEnd, Socket};

/// Protocol versions served (pusher-js sends 7).
const PROTOCOLS: std::ops::RangeInclusive<u32> = 5..=7;

/// Hands out socket ids: a random per-process prefix and a counter, unique among live connections.
pub struct SocketIds {
    prefix: u64,
    next: AtomicU64,
}

impl SocketIds {
    #[must_use]
    pub fn new() -> Self {
        Self {
            prefix: rand::random_range(1..1_000_000_000),
            next: AtomicU64::new(1),
        }
    }

    fn next(&self) -> SocketId {
        SocketId::new(self.prefix, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for SocketIds {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET /app/{key}` and below, reaching the router: not a valid upgrade (valid ones are taken off
/// the connection before routing, [`upgrade`]), answered with 426 or 400.
pub async fn not_upgraded(headers: HeaderMap) -> Response {
    handshake::refusal(&headers).into_response()
}

/// Serves a connection whose first request was a valid upgrade: the 101 goes out with the first
/// frame (the greeting or the refusal) in one write.
pub fn serve_upgrade(
    stream: TcpStream,
    upgrade: upgrade::Upgrade,
    s: Shared,
) -> impl Future<Output = ()> + Send {
    let socket = Socket::new(stream, &upgrade.early, s.settings.max_message_bytes)
        .with_unsent(upgrade.response);
    match upgrade.request {
        Some(request) => Either::Left(accept(socket, s, request)),
        None => Either::Right(Box::pin(async move {
            let mut socket = socket;
            let code = ErrorCode::PathNotFound;
            refuse(&mut socket, code).await;
        })),
    }
}

/// Admits and greets the connection, then serves it: two stages chained, the first boxed (it runs
/// once), so that the task carries only the serving loop's state.
fn accept(socket: Socket, s: Shared, request: Request) -> impl Future<Output = ()> + Send {
    Box::pin(open(socket, s, request)).then(|opened| match opened {
        Some(c) => Either::Left(connection::serve(c.ws, c.session, c.inbox, c.heartbeat)),
        None => Either::Right(std::future::ready(())),
    })
}

/// An admitted, greeted connection.
struct Opened {
    ws: Socket,
    session: Session,
    inbox: Inbox,
    heartbeat: Heartbeat,
}

async fn open(mut socket: Socket, s: Shared, request: Request) -> Option<Opened> {
    let app = match admit(&s, &request) {
        Ok(app) => app,
        Err(code) => {
            tracing::debug!(key = %request.key, code = code.code(), "connection refused");
            refuse(&mut socket, code).await;
            return None;
        }
    };
    let socket_id = s.ids.next();
    let (outbox, inbox) = outbox(s.settings.outbound_queue_bytes);
    if let Err(unwelcome) = s.registry.connect(&app, socket_id, &outbox) {
        let code = match unwelcome {
            Unwelcome::OverQuota => ErrorCode::OverConnectionQuota,
            Unwelcome::ShuttingDown => ErrorCode::ReconnectImmediately,
        };
        refuse(&mut socket, code).await;
        return None;
    }
    let session_app = app.id.clone();
    let session = Session::new(app, socket_id, s.registry.clone(), outbox);
    let heartbeat = Heartbeat::new(s.settings.activity_timeout(), s.settings.pong_timeout());
    socket.send(&[session.greeting(heartbeat)]).await.ok()?;
    tracing::debug!(app = %session_app, %socket_id, "connected");
    Some(Opened {
        ws: socket,
        session,
        inbox,
        heartbeat,
    })
}

/// Refuses a connection on the Pusher endpoint: `pusher:error`, then the close with `code`.
fn refuse(socket: &mut Socket, code: ErrorCode) -> impl Future<Output = ()> + Send + '_ {
    connection::close::<Session, _>(socket, code, code.message())
}

/// Checks the app, the protocol version, the origin and shutdown, in the order pusher-js expects.
fn admit(s: &Shared, request: &Request) -> Result<Arc<App>, ErrorCode> {
    if s.shutdown.is_cancelled() {
        return Err(ErrorCode::ReconnectImmediately);
    }
    let app = s.apps.by_key(&request.key).ok_or(ErrorCode::AppNotFound)?;
    if let Some(protocol) = &request.protocol {
        let version: u32 = protocol.parse().map_err(|_| ErrorCode::InvalidVersion)?;
        if !PROTOCOLS.contains(&version) {
            return Err(ErrorCode::UnsupportedProtocol);
        }
    }
    if !app.config.enabled {
        return Err(ErrorCode::AppDisabled);
    }
    if !app.allows_origin(request.origin.as_deref()) {
        return Err(ErrorCode::Unauthorized);
    }
    Ok(app.clone())
}
