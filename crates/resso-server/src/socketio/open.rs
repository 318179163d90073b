//! A new Engine.IO session: admission as for Pusher connections (the app enabled, the origin
//! allowed, `Registry::connect` with the app's connection limit and shutdown), then the ids — a
//! `SocketId` with both halves random, since for EIO 3 it is also the sid, a session credential;
//! for EIO 4 a separate random url-safe sid — and the open packet (plus protocol 4's `40`).

use std::sync::Arc;

use base64::Engine as _;
use resso_protocol::socketio::engine::{self as eio, Open};
use resso_protocol::socketio::EngineVersion;
use resso_protocol::SocketId;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::beat::EngineBeat;
use super::engine::{Engine, Identity};
use super::request::Failure;
use super::Command;
use super::Endpoint;
use crate::apps::App;
use crate::outbox::{outbox, Inbox};
use crate::registry::Unwelcome;

/// An admitted session, its open packet queued.
pub(super) struct Admitted {
    pub engine: Engine,
    pub inbox: Inbox,
}

/// The transport a socket is born on.
pub(super) enum Birth {
    /// A polling GET: the session is listed by sid, for its requests (sent on this channel) and
    /// its upgrade to find it.
    Polling(mpsc::Sender<Command>),
    /// A websocket: nothing can poll or upgrade it, so it is listed nowhere.
    Websocket,
}

/// Admits a new socket of `app` born on `birth` with the handshake's `headers`.
///
/// # Errors
/// [`Failure::Forbidden`] for a disabled app, a refused origin or a full app;
/// [`Failure::BadRequest`] while shutting down.
pub(super) fn open(
    s: &Endpoint,
    app: &Arc<App>,
    version: EngineVersion,
    birth: Birth,
    headers: Vec<(String, String)>,
) -> Result<Admitted, Failure> {
    let Some(sio) = &app.config.socketio else {
        return Err(Failure::BadRequest);
    };
    let origin = headers
        .iter()
        .find(|(n, _)| n == "origin")
        .map(|(_, v)| v.as_str());
    if !app.config.enabled || !app.allows_origin(origin) {
        return Err(Failure::Forbidden);
    }
    let socket_id = SocketId::new(rand::random(), rand::random());
    let (outbox, inbox) = outbox(s.settings.outbound_queue_bytes);
    // A socket that may recover a session is let in beside the waiting ones; its CONNECT holds
    // it to the limit if it recovers none.
    let admitted = if super::engine::recoverable(version, app) {
        s.registry.connect_returning(app, socket_id, &outbox)
    } else {
        s.registry.connect(app, socket_id, &outbox)
    };
    admitted.map_err(|u| match u {
        Unwelcome::OverQuota => Failure::Forbidden,
        Unwelcome::ShuttingDown => Failure::BadRequest,
    })?;
    let sid = match version {
        EngineVersion::V3 => socket_id.to_string(),
        EngineVersion::V4 => {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 15]>())
        }
    };
    let (upgrades, sessions): (&[&str], _) = match birth {
        Birth::Polling(tx) => {
            s.sessions.insert(sid.clone(), tx);
            (&["websocket"], Some(s.sessions.clone()))
        }
        Birth::Websocket => (&[], None),
    };
    let open = eio::open(
        &Open {
            sid: &sid,
            upgrades,
            ping_interval_ms: sio.ping_interval,
            ping_timeout_ms: sio.ping_timeout,
            max_payload: sio.max_payload as u64,
        },
        version,
    );
    let beat = EngineBeat::new(
        version,
        sio.ping_interval(),
        sio.ping_timeout(),
        sio.connect_timeout(),
        Instant::now(),
    );
    let id = Identity {
        app: app.clone(),
        socket_id,
        registry: s.registry.clone(),
        outbox,
        headers,
        sessions,
        echo: s.echo.clone(),
        sid,
    };
    let mut engine = Engine::new(version, id, s.settings.outbound_queue_bytes, beat);
    // The queue is empty: neither push can pass its bound.
    let _ = engine.push(open);
    if version == EngineVersion::V3 {
        let _ = engine.connect(None); // protocol 4: connected on `/` without asking
    }
    app.meters.connected(crate::metrics::Protocol::SocketIo);
    app.tap.emit(|| crate::tap::Entry::Connected {
        socket: socket_id.to_string(),
        via: crate::tap::Via::SocketIo,
    });
    tracing::debug!(app = %app.id, %socket_id, sid = engine.sid(), ?version, "socket.io socket opened");
    Ok(Admitted { engine, inbox })
}
