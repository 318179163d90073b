//! What every integration test stands on: a real server on port 0 ([`TestServer`]), a typed
//! WebSocket client speaking the Pusher protocol ([`Client`]) and a signed HTTP API client ([`Api`]).
//! Helpers assert as they go and panic with the frame they got, so a test reads as the protocol does.

mod api;
mod client;
mod server;

pub use api::{now, Api};
pub use client::{Client, Outcome};
pub use server::{config, TestApp, TestServer, DISABLED, MAIN, ORIGIN, QUIET, QUOTA};
