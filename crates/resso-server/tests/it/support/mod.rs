//! What every integration test stands on: a real server on port 0 ([`TestServer`]), a typed
//! WebSocket client speaking the Pusher protocol ([`Client`]), a signed HTTP API client ([`Api`]) and
//! a webhook endpoint that verifies and records what it is sent ([`Sink`]).
//! Helpers assert as they go and panic with the frame they got, so a test reads as the protocol does.

mod api;
// The kit shared with the cluster tests (`tests/kit/`); this binary uses only part of it.
#[allow(dead_code)]
#[path = "../../kit/broker.rs"]
mod broker;
#[allow(dead_code, unused_imports)]
#[path = "../../kit/client.rs"]
mod client;
#[path = "../../kit/eventually.rs"]
mod eventually;
mod server;
#[allow(dead_code)]
#[path = "../../kit/sink.rs"]
mod sink;

pub use api::{now, Api};
pub use broker::{Broker, Proc};
pub use client::{Client, Outcome};
pub use eventually::eventually;
pub use server::{config, config_with, TestApp, TestServer, DISABLED, MAIN, ORIGIN, QUIET, QUOTA};
pub use sink::{Hook, Sink};
