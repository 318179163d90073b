//! Ressò: a real-time broadcasting server speaking the Pusher Channels protocol v7.
//!
//! Map of the crate (the protocol itself — names, frames, signatures — is `resso_protocol`):
//! - [`config`]: typed configuration from defaults, a TOML file, the environment and CLI flags.
//! - [`apps`]: the configured apps, by id and by key.
//! - [`registry`]: the one owner of channels, subscribers and presence members.
//! - [`broadcast`]: the message the registry fans out, encoded once per transport.
//! - [`outbox`]: each connection's byte-bounded outbound queue.
//! - [`session`]: one connection's protocol logic, free of I/O.
//! - [`connection`]: the per-connection task that owns the socket.
//! - [`ws`]: the `/app/{key}` upgrade and admission checks.
//! - [`http`]: the router — WebSocket routes, signed HTTP API, `/up`.
//!
//! [`run`] serves a bound listener until a shutdown token is cancelled; `main` is a thin wrapper, and
//! the integration tests call the same `run` on port 0.

pub mod apps;
pub mod broadcast;
pub mod config;
pub mod connection;
pub mod http;
pub mod outbox;
pub mod registry;
pub mod session;
pub mod webhooks;
pub mod ws;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::{Config, ServerConfig};
use crate::registry::Registry;
use crate::ws::SocketIds;

/// What every handler and connection shares; cheap to clone.
#[derive(Clone)]
pub struct Shared {
    pub apps: Arc<Apps>,
    pub registry: Registry,
    pub settings: Arc<ServerConfig>,
    pub ids: Arc<SocketIds>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
}

/// Serves WebSocket clients and the HTTP API on `listener` until `shutdown` is cancelled, then closes
/// every client with 4200 and returns once all connections have ended.
///
/// `config` must have passed [`Config::validate`].
///
/// # Errors
/// The listener's I/O error, if accepting fails.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let shared = Shared {
        apps: Arc::new(Apps::new(&config.apps)),
        registry: Registry::default(),
        settings: Arc::new(config.server),
        ids: Arc::new(SocketIds::new()),
        shutdown: shutdown.clone(),
        tracker: TaskTracker::new(),
    };
    let tracker = shared.tracker.clone();
    let app = http::router(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    tracker.close();
    tracker.wait().await;
    Ok(())
}
