//! The WebSocket endpoint `/app/{key}`. The upgrade always completes — even for an unknown key —
//! because pusher-js cannot tell a refused upgrade from a network fault and would retry forever;
//! the refusal is sent as `pusher:error` plus a close frame with the protocol's code (§1.2).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::future::Either;
use futures_util::FutureExt;
use resso_protocol::http_sig::Query;
use resso_protocol::{server, ErrorCode, SocketId};
use tokio_util::sync::CancellationToken;

use crate::apps::App;
use crate::connection::{self, Heartbeat};
use crate::outbox::{outbox, Inbox};
use crate::session::Session;
use crate::Shared;

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

/// What the upgrade request said, checked after the upgrade.
struct Request {
    key: String,
    protocol: Option<String>,
    origin: Option<String>,
}

/// `GET /app/{key}`.
pub async fn app(
    State(s): State<Shared>,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let query = Query::parse(q.as_deref().unwrap_or(""));
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request = Request {
        key,
        protocol: query.get("protocol").map(str::to_owned),
        origin,
    };
    let tracker = s.tracker.clone();
    configure(ws, &s).on_upgrade(move |socket| tracker.track_future(accept(socket, s, request)))
}

/// Any other path under `/app/`: upgraded, then closed with 4005.
pub async fn bad_path(State(s): State<Shared>, ws: WebSocketUpgrade) -> Response {
    configure(ws, &s).on_upgrade(|mut socket| async move {
        connection::close(
            &mut socket,
            ErrorCode::PathNotFound,
            ErrorCode::PathNotFound.message(),
        )
        .await;
    })
}

/// Small buffers: the free part of the read buffer is zeroed on every read attempt (tungstenite's
/// default of 128 KiB cost half the server's CPU per delivery and most of an idle connection's
/// memory; 4 KiB still cost 3.5 KiB per idle connection; it grows for larger messages), and queued
/// frames are gathered up to [`WRITE_BUFFER`] so one flush sends a batch in one write.
fn configure(ws: WebSocketUpgrade, s: &Shared) -> WebSocketUpgrade {
    let max = s.settings.max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(WRITE_BUFFER + max + 1024)
}

const READ_BUFFER: usize = 512;
const WRITE_BUFFER: usize = 16 * 1024;

/// Admits and greets the connection, then serves it: two stages chained, so that the task carries
/// the larger of the two futures rather than both.
fn accept(socket: WebSocket, s: Shared, request: Request) -> impl Future<Output = ()> + Send {
    open(socket, s, request).then(|opened| match opened {
        Some(c) => Either::Left(connection::serve(
            c.ws,
            c.session,
            c.inbox,
            c.heartbeat,
            c.shutdown,
        )),
        None => Either::Right(std::future::ready(())),
    })
}

/// An admitted, greeted connection.
struct Opened {
    ws: WebSocket,
    session: Session,
    inbox: Inbox,
    heartbeat: Heartbeat,
    shutdown: CancellationToken,
}

async fn open(mut socket: WebSocket, s: Shared, request: Request) -> Option<Opened> {
    let app = match admit(&s, &request) {
        Ok(app) => app,
        Err(code) => {
            tracing::debug!(key = %request.key, code = code.code(), "connection refused");
            connection::close(&mut socket, code, code.message()).await;
            return None;
        }
    };
    if s.registry.connect(&app).is_err() {
        let code = ErrorCode::OverConnectionQuota;
        connection::close(&mut socket, code, code.message()).await;
        return None;
    }
    let socket_id = s.ids.next();
    let (outbox, inbox) = outbox(s.settings.outbound_queue_bytes);
    let session_app = app.id.clone();
    let session = Session::new(app, socket_id, s.registry.clone(), outbox);
    let hello = server::connection_established(socket_id, s.settings.activity_timeout);
    socket
        .send(axum::extract::ws::Message::Text(hello.into()))
        .await
        .ok()?;
    tracing::debug!(app = %session_app, %socket_id, "connected");
    let heartbeat = Heartbeat {
        activity: s.settings.activity_timeout(),
        pong: s.settings.pong_timeout(),
    };
    Some(Opened {
        ws: socket,
        session,
        inbox,
        heartbeat,
        shutdown: s.shutdown.clone(),
    })
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
