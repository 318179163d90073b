//! What the cluster tests stand on: real broker and node processes ([`Cluster`]), a typed Pusher
//! WebSocket client ([`Client`]), a Socket.IO client ([`SioClient`]), a signed HTTP API client
//! ([`Api`]) and a webhook [`Sink`].

mod api;
// The kit shared with the single-node tests (`tests/kit/`).
#[path = "../../kit/broker.rs"]
mod broker;
#[allow(dead_code)]
#[path = "../../kit/client.rs"]
mod client;
mod cluster;
#[path = "../../kit/eventually.rs"]
mod eventually;
mod process;
mod settle;
#[allow(dead_code)]
#[path = "../../kit/sink.rs"]
mod sink;
mod sio;

use std::future::Future;
use std::time::Duration;

pub use api::Api;
pub use broker::{Backend, Broker};
pub use client::{presence_hash, Client};
pub use cluster::{object_keys, user_ids, Cluster};
pub use eventually::eventually;
pub use process::Options;
pub use settle::HOOKS;
pub use sink::Sink;
pub use sio::SioClient;

/// Credentials of one configured app.
#[derive(Debug, Clone, Copy)]
pub struct TestApp {
    pub id: &'static str,
    pub key: &'static str,
    pub secret: &'static str,
}

/// The app the tests use: client events on; limits and webhooks per test ([`Options`]).
pub const MAIN: TestApp = TestApp {
    id: "app-id",
    key: "app-key",
    secret: "app-secret",
};

/// The app [`Cluster::await_mesh`] probes with, so probes touch none of [`MAIN`]'s state.
pub const PROBE: TestApp = TestApp {
    id: "probe-id",
    key: "probe-key",
    secret: "probe-secret",
};

/// How long an expected frame may take (cross-node hops included).
pub const RECV: Duration = Duration::from_secs(2);
/// How long "nothing (more) arrives" is watched for.
pub const QUIET: Duration = Duration::from_millis(500);

/// Asserts that none of `clients` receives anything for [`QUIET`] (watched concurrently).
pub async fn assert_all_silent(clients: &mut [&mut Client]) {
    client::assert_all_silent_for(clients, QUIET).await;
}

/// The most any one test may take.
const TEST_LIMIT: Duration = Duration::from_secs(30);

/// Runs a test body, failing it if it takes longer than [`TEST_LIMIT`].
pub async fn run(test: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the test finishes within its time limit");
}
