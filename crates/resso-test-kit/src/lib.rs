//! What Ressò's integration tests stand on, shared by the server's test binaries (`tests/it`, one
//! server in process; `tests/cluster`, node processes): a typed Pusher WebSocket client that asserts
//! as it reads ([`Client`]), a signed HTTP API client ([`Api`]), a webhook endpoint that verifies and
//! records what it is sent ([`Sink`]), real `redis-server` / `nats-server` processes ([`Broker`]), real PostgreSQL and MariaDB servers
//! ([`Database`]),
//! child processes killed on drop ([`Proc`]) and [`eventually`].
//!
//! The kit speaks only the protocol (through `resso-protocol`) and never links the server, whose
//! tests depend on it; what needs the server's types (its configuration, `resso_server::run`) stays
//! in each test binary's `support` module. Helpers panic with what they got, so a test reads as the
//! protocol does.

mod api;
mod broker;
mod client;
mod database;
mod eventually;
mod process;
mod sink;
mod sql;

pub use api::{now, Api};
pub use broker::{Backend, Broker};
pub use client::{assert_all_silent_for, presence_hash, Client, Outcome, SILENCE};
pub use database::{Database, Engine};
pub use eventually::eventually;
pub use process::{await_listening, free_port, Proc};
pub use sink::{Hook, Received, Sink};

/// Credentials of one configured app.
#[derive(Debug, Clone, Copy)]
pub struct TestApp {
    pub id: &'static str,
    pub key: &'static str,
    pub secret: &'static str,
}

/// The app most tests use (client events on in every test configuration); a [`Client`] signs with
/// it unless told otherwise ([`Client::with_app`]).
pub const MAIN: TestApp = TestApp {
    id: "app-id",
    key: "app-key",
    secret: "app-secret",
};
