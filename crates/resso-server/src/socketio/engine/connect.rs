//! The Socket.IO CONNECT on `/`: protocol 4 is connected unasked, protocol 5 answers with the
//! socket id — and, with the app's connection state recovery on, a `pid` and what a recovered
//! session missed (Echo's [`recovery`](super::super::echo)) — once another node handed the session
//! over, when it was held there. When the socket ends for a reason the client may come back from,
//! its session is parked for that recovery.

use std::task::{ready, Context, Poll};

use futures_util::FutureExt;
use resso_protocol::socketio::packet::{self, DEFAULT_NAMESPACE};
use resso_protocol::socketio::EngineVersion;
use serde_json::value::RawValue;

use super::{Engine, SocketEnd};
use crate::apps::App;
use crate::socketio::echo::{Connect, Connecting, Recovered};

impl Engine {
    /// Whether the socket can be recovered: protocol 5, with the app's recovery on.
    fn recoverable(&self) -> bool {
        recoverable(self.version, &self.id.app)
    }

    /// Connects the socket on `/` through the application (recovering the session `payload`
    /// names, if it can) and queues the answer, then what a recovered session missed.
    pub fn connect(&mut self, payload: Option<&RawValue>) -> Result<(), SocketEnd> {
        let c = Connect {
            app: self.id.app.clone(),
            socket_id: self.id.socket_id,
            registry: self.id.registry.clone(),
            outbox: self.id.outbox.clone(),
            headers: std::mem::take(&mut self.id.headers),
            recoverable: self.recoverable(),
        };
        self.beat.connect_by = None;
        if self.version == EngineVersion::V3 {
            self.handler = Some(Box::new(self.id.echo.connect(c)));
            return self.push(packet::CONNECT_V4);
        }
        if !c.recoverable {
            self.handler = Some(Box::new(self.id.echo.connect(c)));
            return self.push(packet::connected(&self.id.socket_id.to_string()));
        }
        match self.id.echo.connect_recoverable(c, payload) {
            Connecting::Now(r) => self.connected(r),
            Connecting::Claim(claim) => {
                self.claim = Some(Box::new(claim));
                Ok(())
            }
        }
    }

    /// Whether the socket waits for another node to hand its session over (its CONNECT is not
    /// answered yet).
    pub const fn claiming(&self) -> bool {
        self.claim.is_some()
    }

    /// The claim of a session held by another node, polled: once it ends, the socket is connected
    /// (recovered or fresh).
    pub(super) fn poll_claim(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SocketEnd>> {
        let Some(claim) = self.claim.as_mut() else {
            return Poll::Pending;
        };
        let r = ready!(claim.poll_unpin(cx));
        self.claim = None;
        Poll::Ready(self.connected(r))
    }

    /// Answers the CONNECT for `r`'s socket, then queues what it missed. A fresh session is held
    /// to the app's connection limit here, waiting sessions included (the connection was let in
    /// beside them in case it was one of them coming back).
    fn connected(&mut self, r: Recovered) -> Result<(), SocketEnd> {
        if !r.recovered && !self.id.registry.within_quota(&self.id.app) {
            tracing::debug!(
                sid = self.sid(),
                "socket.io CONNECT refused: the app is full"
            );
            let refusal = packet::connect_error(self.version, DEFAULT_NAMESPACE, "Over quota");
            self.closing = true; // once the refusal is written
            return self.push(refusal);
        }
        self.id.socket_id = r.socket.socket_id();
        self.handler = Some(r.socket);
        let sid = self.id.socket_id.to_string();
        tracing::debug!(
            sid = self.sid(),
            socket_id = sid,
            recovered = r.recovered,
            missed = r.replay.len(),
            "socket.io socket connected"
        );
        self.push(packet::connected_recoverable(&sid, &r.pid))?;
        for msg in r.replay {
            self.push_broadcast(msg);
        }
        Ok(())
    }

    /// Keeps the socket's session for a recovery when `end` is one the client may come back
    /// from (its transport dropped or lapsed; not when it disconnected, broke the protocol or was
    /// closed by the server).
    pub fn park(&mut self, end: &SocketEnd) {
        let comes_back = match end {
            SocketEnd::Gone | SocketEnd::Answer(_) | SocketEnd::Close => true,
            SocketEnd::Left | SocketEnd::Doomed(_) | SocketEnd::Violation(_) => false,
        };
        if !comes_back || !self.recoverable() {
            return;
        }
        let Some(handler) = self.handler.take() else {
            return;
        };
        // Counted out before the session can be recovered: its new connection takes the id's
        // place in the registry, which this socket must not take away when it drops.
        let id = &self.id;
        id.registry
            .disconnect(&id.app, id.socket_id, std::iter::empty());
        self.parked = true;
        self.id.echo.park(handler);
    }
}

/// Whether a socket of `app` speaking `version` can be recovered: protocol 5, with the app's
/// recovery on.
pub(in crate::socketio) fn recoverable(version: EngineVersion, app: &App) -> bool {
    let sio = app.config.socketio.as_ref();
    version == EngineVersion::V4 && sio.is_some_and(|s| s.recovery().is_some())
}
