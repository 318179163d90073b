//! What the cluster tests stand on: real broker and node processes ([`Cluster`]) and a Socket.IO
//! client ([`SioClient`]), here; from the shared test kit (`resso-test-kit`), a typed Pusher
//! WebSocket client ([`Client`]), the signed HTTP API client ([`Api`] wraps it) and a webhook
//! [`Sink`].

mod api;
mod cluster;
mod process;
mod settle;
mod sio;

use std::future::Future;
use std::time::Duration;

pub use api::Api;
pub use cluster::{object_keys, user_ids, Cluster};
pub use process::{Node, Options};
pub use resso_test_kit::{eventually, presence_hash, Backend, Broker, Client, Sink, TestApp, MAIN};
pub use settle::HOOKS;
pub use sio::SioClient;

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
    resso_test_kit::assert_all_silent_for(clients, QUIET).await;
}

/// The most any one test may take.
const TEST_LIMIT: Duration = Duration::from_secs(30);

/// Runs a test body, failing it if it takes longer than [`TEST_LIMIT`].
pub async fn run(test: impl Future<Output = ()>) {
    tokio::time::timeout(TEST_LIMIT, test)
        .await
        .expect("the test finishes within its time limit");
}
