//! The Pusher Channels protocol v7 and the Socket.IO codecs, as pure data and functions (no I/O, no async).
//!
//! Map of the crate:
//! - [`names`]: validated identifiers — [`AppId`], [`AppKey`], [`SocketId`], [`ChannelName`] with its
//!   [`ChannelKind`], [`UserId`] — each built by a `parse` that rejects what the wire must not carry.
//! - [`close`]: the protocol's error and close codes ([`ErrorCode`]) with their canonical messages.
//! - [`client`]: frames a client sends, parsed into [`ClientMessage`].
//! - [`server`]: frames the server sends, encoded once into JSON text.
//! - [`presence`]: the presence `channel_data` a subscriber brings and the member list it is sent.
//! - [`auth`]: channel and user-signin signatures (HMAC-SHA256 over the exact bytes received).
//! - [`http_sig`]: HTTP API request signing and verification (§5.1 of our protocol reference).
//! - [`api`]: HTTP API request bodies and their validation into typed publishes.
//! - [`user`]: the `user_data` of a signin, with its watchlist.
//! - [`limits`]: the sizes and counts the protocol bounds, with Pusher's values as defaults.
//! - [`socketio`]: the Engine.IO 3/4 and Socket.IO 4/5 codecs (packets and polling payloads) behind
//!   the server's Socket.IO endpoint.

pub mod api;
pub mod auth;
pub mod client;
pub mod close;
pub mod http_sig;
pub mod limits;
pub mod names;
pub mod presence;
pub mod server;
pub mod socketio;
pub mod user;

pub use client::ClientMessage;
pub use close::ErrorCode;
pub use limits::Limits;
pub use names::{AppId, AppKey, ChannelKind, ChannelName, SocketId, UserId};
