//! The Pusher WebSocket endpoint `/app/{key}`. The upgrade always completes — even for an unknown
//! key — because pusher-js cannot tell a refused upgrade from a network fault and would retry
//! forever; the refusal is sent as `pusher:error` plus a close frame with the protocol's code
//! (§1.2). An admitted connection becomes a [`Session`] served by the connection task.

use std::future::Future;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use futures_util::FutureExt;
use resso_protocol::ErrorCode;
use tokio_util::sync::CancellationToken;

use crate::apps::{App, Apps};
use crate::config::ServerConfig;
use crate::connection::{self, Heartbeat, Protocol};
use crate::ids::SocketIds;
use crate::outbox::{outbox, Inbox};
use crate::refusals::{self, Reason};
use crate::registry::{Registry, Unwelcome};
use crate::session::Session;
use crate::tap::{Entry, Via};
use crate::ws::handshake;
use crate::ws::upgrade::{Request, Upgrade};
use crate::ws::{Socket, Stream};

/// Protocol versions served (pusher-js sends 7).
const PROTOCOLS: std::ops::RangeInclusive<u32> = 5..=7;

/// What the endpoint needs to admit and serve a connection; cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    pub apps: Arc<Apps>,
    pub registry: Registry,
    pub settings: Arc<ServerConfig>,
    pub ids: Arc<SocketIds>,
    pub shutdown: CancellationToken,
}

/// `GET /app/{key}` and below, reaching the router: not a valid upgrade (valid ones are taken off
/// the connection before routing, [`crate::ws::upgrade`]), answered with 426 or 400.
pub async fn not_upgraded(headers: HeaderMap) -> Response {
    handshake::refusal(&headers).into_response()
}

/// Serves a connection whose first request was a valid upgrade: the 101 goes out with the first
/// frame (the greeting or the refusal) in one write.
pub fn serve_upgrade<S: Stream>(
    stream: S,
    upgrade: Upgrade,
    s: Endpoint,
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
fn accept<S: Stream>(
    socket: Socket<S>,
    s: Endpoint,
    request: Request,
) -> impl Future<Output = ()> + Send {
    Box::pin(open(socket, s, request)).then(|opened| match opened {
        Some(c) => Either::Left(connection::serve(c.ws, c.session, c.inbox, c.heartbeat)),
        None => Either::Right(std::future::ready(())),
    })
}

/// An admitted, greeted connection.
struct Opened<S> {
    ws: Socket<S>,
    session: Session,
    inbox: Inbox,
    heartbeat: Heartbeat,
}

async fn open<S: Stream>(
    mut socket: Socket<S>,
    s: Endpoint,
    request: Request,
) -> Option<Opened<S>> {
    let found = s.apps.find_key(&request.key).await;
    let app = match admit(&s, &request, found) {
        Ok(app) => app,
        Err(code) => {
            tell_operator(code, &request);
            refuse(&mut socket, code).await;
            return None;
        }
    };
    let socket_id = s.ids.next();
    let (outbox, inbox) = outbox(s.settings.outbound_queue_bytes);
    if let Err(unwelcome) = s.registry.connect(&app, socket_id, &outbox) {
        let code = match unwelcome {
            Unwelcome::OverQuota => {
                refusals::log(Reason::OverQuota, app.id.as_str(), &"4004");
                app.tap.emit(|| Entry::Refused {
                    reason: "connection over the app's limit (4004)".into(),
                });
                ErrorCode::OverConnectionQuota
            }
            Unwelcome::ShuttingDown => ErrorCode::ReconnectImmediately,
        };
        refuse(&mut socket, code).await;
        return None;
    }
    let session_app = app.id.clone();
    let session = Session::new(app, socket_id, s.registry.clone(), outbox);
    let heartbeat = Heartbeat::new(s.settings.activity_timeout(), s.settings.pong_timeout());
    let greeting = session.greeting(heartbeat);
    let greeting_bytes = greeting.len();
    socket.send(&[greeting]).await.ok()?;
    let meters = &session.app().meters;
    meters.connected(Session::METERED_AS);
    meters.sent(Session::METERED_AS, 1, greeting_bytes);
    session.app().tap.emit(|| Entry::Connected {
        socket: socket_id.to_string(),
        via: Via::Pusher,
    });
    tracing::debug!(app = %session_app, %socket_id, "connected");
    Some(Opened {
        ws: socket,
        session,
        inbox,
        heartbeat,
    })
}

/// Logs a refusal an operator would otherwise debug blind (the rest only at debug level).
fn tell_operator(code: ErrorCode, request: &Request) {
    let origin = request.origin.as_deref().unwrap_or("none");
    let key = request.key.as_str();
    match code {
        ErrorCode::AppNotFound => refusals::log(Reason::UnknownKey, key, &"4001"),
        ErrorCode::AppDisabled => refusals::log(Reason::AppDisabled, key, &"4003"),
        ErrorCode::Unauthorized => {
            refusals::log(Reason::OriginRefused, key, &format_args!("origin {origin}"));
        }
        _ => tracing::debug!(key, code = code.code(), "connection refused"),
    }
}

/// Refuses a connection on the Pusher endpoint: `pusher:error`, then the close with `code`.
fn refuse<S: Stream>(
    socket: &mut Socket<S>,
    code: ErrorCode,
) -> impl Future<Output = ()> + Send + '_ {
    refuse_saying(socket, code, code.message())
}

/// Refuses a connection with `code` and a `message` of its own.
pub fn refuse_saying<'a, S: Stream>(
    socket: &'a mut Socket<S>,
    code: ErrorCode,
    message: &'a str,
) -> impl Future<Output = ()> + Send + 'a {
    connection::close::<Session, _>(socket, code, message)
}

/// Checks the app, the protocol version, the origin and shutdown, in the order pusher-js expects.
fn admit(s: &Endpoint, request: &Request, found: Option<Arc<App>>) -> Result<Arc<App>, ErrorCode> {
    if s.shutdown.is_cancelled() {
        return Err(ErrorCode::ReconnectImmediately);
    }
    let app = found.ok_or(ErrorCode::AppNotFound)?;
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
