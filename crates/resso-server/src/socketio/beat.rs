//! A socket's heartbeat, as Engine.IO keeps it: EIO 4 servers ping, EIO 3 clients do.

use std::time::Duration;

use resso_protocol::socketio::EngineVersion;
use tokio::time::Instant;

/// The heartbeat: when the next ping is due (EIO 4) or the client's must have come (EIO 3); and,
/// until a protocol 5 client has sent its CONNECT, by when it must (Socket.IO's `connectTimeout`),
/// so that a client answering heartbeats without ever connecting does not hold a socket forever.
pub(super) struct EngineBeat {
    version: EngineVersion,
    interval: Duration,
    pub timeout: Duration,
    pub deadline: Instant,
    awaiting_pong: bool,
    pub connect_by: Option<Instant>,
}

/// What a due heartbeat asks for.
pub(super) enum Fire {
    Ping,
    Dead,
}

impl EngineBeat {
    pub fn new(
        version: EngineVersion,
        interval: Duration,
        timeout: Duration,
        connect_timeout: Duration,
        now: Instant,
    ) -> Self {
        let mut beat = Self {
            version,
            interval,
            timeout,
            deadline: now,
            awaiting_pong: false,
            connect_by: (version == EngineVersion::V4).then(|| now + connect_timeout),
        };
        beat.deadline = now + beat.quiet();
        beat
    }

    /// When the timer must next fire.
    pub fn next(&self) -> Instant {
        self.connect_by
            .map_or(self.deadline, |by| by.min(self.deadline))
    }

    /// How long the peer may stay silent.
    fn quiet(&self) -> Duration {
        match self.version {
            EngineVersion::V3 => self.interval + self.timeout,
            EngineVersion::V4 => self.interval,
        }
    }

    /// EIO 3: any packet shows the client alive.
    pub fn activity(&mut self, now: Instant) {
        if self.version == EngineVersion::V3 {
            self.deadline = now + self.quiet();
        }
    }

    /// EIO 4: the pong to our ping.
    pub fn pong(&mut self, now: Instant) {
        if self.version == EngineVersion::V4 && self.awaiting_pong {
            self.awaiting_pong = false;
            self.deadline = now + self.interval;
        }
    }

    pub fn fire(&mut self, now: Instant) -> Fire {
        if self.version == EngineVersion::V3 || self.awaiting_pong {
            return Fire::Dead;
        }
        self.awaiting_pong = true;
        self.deadline = now + self.timeout;
        Fire::Ping
    }
}
