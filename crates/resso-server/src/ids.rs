//! Socket ids: a random per-process prefix and a counter, unique among live connections of both
//! protocols (a Socket.IO socket's `socket.id` is its registry socket id).

use std::sync::atomic::{AtomicU64, Ordering};

use resso_protocol::SocketId;

/// Hands out socket ids.
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

    pub fn next(&self) -> SocketId {
        SocketId::new(self.prefix, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for SocketIds {
    fn default() -> Self {
        Self::new()
    }
}
