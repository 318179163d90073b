//! Socket.IO's connection state recovery for Echo sockets (socket.io-client 4.6+). A recoverable
//! socket is told a `pid` in its CONNECT answer — an HMAC of its app and socket id under this
//! process's key, so it is stored nowhere while the socket is connected and cannot be made
//! elsewhere. When its connection drops for a reason the client may come back from, the socket is
//! [parked](super::parked) under that `pid`. A CONNECT carrying `{pid, offset}` takes it back
//! within the window: the same socket id, its channels (private and presence ones without asking
//! the app again), and, through [`Registry::resume`](crate::registry::Registry::resume), every
//! broadcast after `offset` it was meant to get. Whatever cannot be honoured whole — an unknown,
//! expired or foreign `pid`, a garbage or future offset, a replay past the bounds — gives a fresh
//! session, never an error and never part of a replay. In a cluster, a `pid` no session here has
//! may be another node's: [`handover`](super::handover) claims it from there.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use resso_protocol::auth::sign_hex;
use resso_protocol::{AppId, SocketId};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Connect, Echo, EchoSocket};
use crate::broadcast::Broadcast;
use crate::registry::{HistoryBounds, Resume, Unrecoverable, Wanted};

/// The key `pid`s are signed with, random per process (a restart forgets every session anyway).
pub struct PidKey(String);

impl Default for PidKey {
    fn default() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// How a recoverable socket's CONNECT is answered: now, or once another node answered a claim.
pub enum Connecting {
    Now(Recovered),
    Claim(BoxFuture<'static, Recovered>),
}

/// A connected socket and what it missed, if it was recovered.
pub struct Recovered {
    pub socket: Box<EchoSocket>,
    /// Its session id, for the CONNECT answer.
    pub pid: String,
    /// What it missed, in order (empty for a fresh session).
    pub replay: Vec<Arc<Broadcast>>,
    pub recovered: bool,
}

/// Why a CONNECT asking for recovery got a fresh session.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("no pid")]
    NoClaim,
    #[error("the offset is not one this server gives")]
    BadOffset,
    #[error("no session waits under this pid for this app")]
    Unknown,
    #[error(transparent)]
    Unrecoverable(#[from] Unrecoverable),
}

/// What a recovering CONNECT's payload carries beside Echo's `auth`.
#[derive(Deserialize)]
struct Claim {
    pid: String,
    offset: Option<String>,
}

impl Claim {
    /// The claim in a CONNECT payload and the offset it names (`0`: none yet).
    fn parse(payload: Option<&RawValue>) -> Result<(Self, u64), Refused> {
        let claim: Self = payload
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .ok_or(Refused::NoClaim)?;
        let after = match &claim.offset {
            None => 0,
            Some(text) => parse_offset(text).ok_or(Refused::BadOffset)?,
        };
        Ok((claim, after))
    }
}

/// An offset exactly as this server writes them: a positive decimal, no sign or leading zero.
fn parse_offset(text: &str) -> Option<u64> {
    let n: u64 = text.parse().ok()?;
    (n > 0 && n.to_string() == text).then_some(n)
}

impl Echo {
    /// The session id of `socket` of `app`.
    fn pid(&self, app: &AppId, socket: SocketId) -> String {
        let message = format!("{}\0{socket}", app.as_str());
        let mut tag = sign_hex(&self.0.key.0, message.as_bytes());
        tag.truncate(32); // 128 bits
        tag
    }

    /// The session id of `socket`: the one it was given on the node that first held it.
    fn pid_of(&self, socket: &EchoSocket) -> String {
        match socket.handed.as_ref() {
            Some(handed) => handed.pid.to_string(),
            None => self.pid(&socket.app.id, socket.socket_id),
        }
    }

    /// The handler for a recoverable socket whose CONNECT (with `payload`) arrived: the session
    /// it names recovered, or a fresh one — or, when another node of a cluster may hold that
    /// session, the claim that ends in one of them.
    pub fn connect_recoverable(&self, c: Connect, payload: Option<&RawValue>) -> Connecting {
        let why = match Claim::parse(payload) {
            Ok((claim, after)) => match self.recover(&c, &claim.pid, after) {
                Ok((socket, replay)) => return Connecting::Now(self.recovered(socket, replay)),
                Err(Refused::Unknown) if c.registry.is_clustered() => {
                    let claim = self.clone().claim_elsewhere(c, claim.pid, after);
                    return Connecting::Claim(Box::pin(claim));
                }
                Err(why) => why,
            },
            Err(why) => why,
        };
        if !matches!(why, Refused::NoClaim) {
            tracing::debug!(app = %c.app.id, socket = %c.socket_id, "Socket.IO recovery refused, a fresh session: {why}");
        }
        Connecting::Now(self.fresh(c))
    }

    /// `socket` recovered, with what it missed.
    pub(super) fn recovered(
        &self,
        socket: Box<EchoSocket>,
        replay: Vec<Arc<Broadcast>>,
    ) -> Recovered {
        Recovered {
            pid: self.pid_of(&socket),
            socket,
            replay,
            recovered: true,
        }
    }

    /// A fresh session on the connection `c` describes.
    pub(super) fn fresh(&self, c: Connect) -> Recovered {
        let socket = Box::new(self.connect(c));
        Recovered {
            pid: self.pid_of(&socket),
            socket,
            replay: Vec::new(),
            recovered: false,
        }
    }

    fn recover(
        &self,
        c: &Connect,
        pid: &str,
        after: u64,
    ) -> Result<(Box<EchoSocket>, Vec<Arc<Broadcast>>), Refused> {
        let parked = self.0.parked.take(pid, &c.app.id);
        let socket = parked.ok_or(Refused::Unknown)?;
        // A failed resume drops the session: it leaves its channels.
        Ok(socket.resume(c, after)?)
    }

    /// Keeps `socket`, whose connection dropped, for its app's recovery window; `false` when the
    /// app has none (the socket is dropped: it leaves its channels).
    pub fn park(&self, mut socket: Box<EchoSocket>) -> bool {
        let Some(window) = socket.recovery_window() else {
            return false;
        };
        socket.pending.clear();
        socket.work = None; // auth calls in flight: Echo subscribes again after reconnecting
        let pid = self.pid_of(&socket);
        self.0.parked.park(pid, socket, window)
    }
}

impl EchoSocket {
    fn recovery_window(&self) -> Option<Duration> {
        let sio = self.app.config.socketio.as_ref()?;
        Some(sio.recovery().filter(|_| self.recoverable)?.window)
    }

    /// How its channels' histories are bounded, when it is recoverable.
    pub(super) fn history_bounds(&self) -> Option<HistoryBounds> {
        let sio = self.app.config.socketio.as_ref()?;
        let recovery = sio.recovery().filter(|_| self.recoverable)?;
        Some(HistoryBounds::new(
            recovery,
            sio.ping_interval() + sio.ping_timeout(),
        ))
    }

    /// Takes this parked socket back on the connection `c` describes, with what it missed after
    /// offset `after`.
    fn resume(
        mut self: Box<Self>,
        c: &Connect,
        after: u64,
    ) -> Result<(Box<Self>, Vec<Arc<Broadcast>>), Unrecoverable> {
        let recovery = c.app.config.socketio.as_ref().and_then(|s| s.recovery());
        let recovery = recovery.ok_or(Unrecoverable::Lost)?;
        let wanted = Wanted {
            socket: self.socket_id,
            channels: &self.joined,
            after,
            max_events: recovery.max_events,
            max_bytes: recovery.max_bytes,
        };
        let resume = Resume {
            wanted,
            replaces: c.socket_id,
            outbox: &c.outbox,
        };
        let replay = self.registry.resume(&c.app, &resume)?;
        self.app = c.app.clone();
        self.outbox = c.outbox.clone();
        let cookie = c
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("cookie"));
        if let Some((_, cookie)) = cookie {
            self.cookie = Some(cookie.clone());
        }
        Ok((self, replay))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_offset;

    #[test]
    fn offsets_are_read_only_as_written() {
        assert_eq!(parse_offset("42"), Some(42));
        for bad in [
            "0",
            "-1",
            "+4",
            "007",
            "4.0",
            "",
            "x",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_offset(bad), None, "{bad}");
        }
    }
}
