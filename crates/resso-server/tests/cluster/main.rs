//! Ressò's multi-node tests: real `redis-server` / `nats-server` processes on free loopback ports and
//! several `resso` node processes linked through them, each test run once per broker.

/// Runs each `async fn(Backend)` as two tests, `<name>::redis` and `<name>::nats`.
macro_rules! both_brokers {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::support::{run, Backend};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                run(super::$name(Backend::Redis)).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn nats() {
                run(super::$name(Backend::Nats)).await;
            }
        }
    )*};
}

mod delivery;
mod failure;
mod ingest;
mod limits;
mod ordering;
mod outage;
mod presence;
mod recovery;
mod socketio;
mod state;
mod support;
mod webhooks;
