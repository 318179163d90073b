//! What every integration test stands on: a real server on port 0 ([`TestServer`]) and the apps it
//! is configured with, here; from the shared test kit (`resso-test-kit`), a typed WebSocket client
//! speaking the Pusher protocol ([`Client`]), a signed HTTP API client ([`Api`]), a webhook endpoint
//! that verifies and records what it is sent ([`Sink`]) and a `redis-server` ([`Broker`]).
//! Helpers assert as they go and panic with the frame they got, so a test reads as the protocol does.

mod server;

pub use resso_test_kit::{
    eventually, free_port, now, Api, Broker, Client, Hook, Outcome, Proc, Sink,
};
pub use resso_test_kit::{TestApp, MAIN};
pub use server::{config, config_with, TestServer, DISABLED, ORIGIN, QUIET, QUOTA};
