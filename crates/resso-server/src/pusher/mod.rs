//! The Pusher protocol on the server: the WebSocket endpoint `/app/{key}` that admits connections
//! and serves each as a [`crate::session::Session`] on the connection task, and the codec that
//! turns sessions' typed replies and broadcasts into Pusher frames.
//!
//! - [`endpoint`]: admission (app, protocol version, origin, limits) and the greeting.
//! - [`codec`]: every Pusher frame the server sends.

pub mod codec;
mod endpoint;

pub use endpoint::{not_upgraded, refuse_saying, serve_upgrade, Endpoint};
