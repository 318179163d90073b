//! The WebSocket transport, our own and small: [`upgrade`] reads a new connection's first request
//! head and says whether it is an upgrade (to a Pusher app path or a Socket.IO endpoint) before
//! hyper sees it, [`handshake`] checks upgrades and makes the 101, [`frame`] encodes and decodes
//! RFC 6455 frames, and [`socket`] reads and writes them over any byte stream so an idle
//! connection holds no buffers. It knows no protocol spoken over it.

pub mod frame;
pub mod handshake;
pub mod socket;
pub mod upgrade;

pub use frame::{Incoming, Violation};
pub use socket::{ReadEnd, Socket, Stream};
