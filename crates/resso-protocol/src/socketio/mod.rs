//! Socket.IO as pure codecs, for Laravel Echo's `socket.io` connector: socket.io-client 2.x speaks
//! Engine.IO 3 and Socket.IO protocol 4, 3.x/4.x speak Engine.IO 4 and protocol 5, and one server
//! endpoint serves both, picked per request by [`EngineVersion`]. Three layers, each a pair of
//! decode/encode functions with its own error enum:
//! - [`engine`]: one Engine.IO packet (`4…` message, `2probe` ping, binary …);
//! - [`payload`]: a polling body holding several packets (EIO 3 `<len>:<packet>` with lengths in
//!   UTF-16 code units, EIO 4 `\x1e`-separated);
//! - [`packet`]: the Socket.IO packet carried by an Engine.IO message (`40{…}`, `42["e",…]`, …);
//! - [`SioUserId`]: a presence user id as Socket.IO clients get it.
//!
//! Nothing here panics on input, and every length read from the wire is bounded first.

pub mod engine;
pub mod packet;
pub mod payload;
mod user_id;

pub use user_id::SioUserId;

#[cfg(test)]
mod tests;

/// The Engine.IO protocol revision a client asked for with `EIO=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineVersion {
    /// `EIO=3`: socket.io-client 2.x, with Socket.IO protocol 4.
    V3,
    /// `EIO=4`: socket.io-client 3.x and 4.x, with Socket.IO protocol 5.
    V4,
}

impl EngineVersion {
    /// The version named by an `EIO` query value, if it is one we speak.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "3" => Some(Self::V3),
            "4" => Some(Self::V4),
            _ => None,
        }
    }
}
