//! Ressò: a real-time broadcasting server speaking the Pusher Channels protocol v7.
//!
//! Map of the crate (the protocol itself — names, frames, signatures — is `resso_protocol`):
//! - [`config`]: typed configuration from defaults, a TOML file (or a laravel-echo-server.json),
//!   the environment and CLI flags.
//! - [`apps`]: the configured apps, by id and by key.
//! - [`registry`]: the one owner of channels, subscribers, presence members, signed-in users and
//!   cached events.
//! - [`broadcast`]: the message the registry fans out, encoded at most once per protocol (Pusher,
//!   Socket.IO) and shared by every subscriber.
//! - [`outbox`]: each connection's byte-bounded outbound queue.
//! - [`session`]: one Pusher connection's protocol logic (subscriptions, signin, client events), free
//!   of I/O, answering with typed replies.
//! - [`pusher`]: the Pusher codec — every Pusher frame is encoded there, from typed replies and
//!   broadcasts.
//! - [`rate`]: the one-second rate window behind client-event and HTTP API limits.
//! - [`webhooks`]: emitting webhook events and the dispatcher that batches, signs and delivers them.
//! - [`connection`]: the per-connection task that owns the socket, generic over the [`Protocol`]
//!   it speaks (greeting, heartbeat, broadcast frame, goodbye) and the stream under it.
//!
//! [`Protocol`]: connection::Protocol
//! - [`ws`]: the `/app/{key}` upgrade, admission checks, and our WebSocket framing and socket.
//! - [`cluster`]: the cluster protocol (typed wire messages, `Hello`/`State` resync, the replicas of
//!   the other nodes, leadership of the webhooks) and the Redis / NATS link, heartbeats, dead-node
//!   detection.
//! - [`ingest`]: events from Laravel's `redis` broadcaster, subscribed to on the app's Redis.
//! - [`socketio`]: the Socket.IO endpoint (Engine.IO 3/4, polling and websocket) for Laravel Echo's
//!   `socket.io` connector, on the same registry; [`socketio::echo`] is its application logic
//!   (subscribe, presence, whispers, channel auth by calling the app).
//! - [`http`]: the accept loop (upgrades to [`ws`], the rest to hyper) and the router — signed HTTP
//!   API, laravel-echo-server's `auth_key` API beside it, `/up`, refusals for non-upgrade requests
//!   to the WebSocket path.
//!
//! [`run`] serves a bound listener until a shutdown token is cancelled; `main` is a thin wrapper, and
//! the integration tests call the same `run` on port 0.

pub mod apps;
pub mod broadcast;
pub mod cluster;
pub mod config;
pub mod connection;
pub mod http;
pub mod ingest;
pub mod outbox;
pub mod pusher;
pub mod rate;
pub mod registry;
pub mod session;
pub mod socketio;
pub mod webhooks;
pub mod ws;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::{Config, ServerConfig};
use crate::registry::Registry;
use crate::webhooks::Webhooks;
use crate::ws::SocketIds;

/// What every handler and connection shares; cheap to clone.
#[derive(Clone)]
pub struct Shared {
    pub apps: Arc<Apps>,
    pub registry: Registry,
    pub settings: Arc<ServerConfig>,
    pub ids: Arc<SocketIds>,
    pub api_limiter: Arc<http::ApiLimiter>,
    /// What every Socket.IO socket's Echo handler shares (the auth client).
    pub echo: socketio::echo::Echo,
    /// The live Socket.IO engine sessions.
    pub sessions: Arc<socketio::Sessions>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
}

#[cfg(test)]
impl Shared {
    /// What a unit test of a connection's task needs: `apps`, default settings, nothing running.
    pub(crate) fn for_tests(apps: &[config::AppConfig]) -> Self {
        Self {
            apps: Arc::new(Apps::new(apps)),
            registry: Registry::default(),
            settings: Arc::default(),
            ids: Arc::default(),
            api_limiter: Arc::default(),
            echo: socketio::echo::Echo::default(),
            sessions: Arc::default(),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
        }
    }
}

/// Serves WebSocket clients and the HTTP API on `listener` until `shutdown` is cancelled, then closes
/// every client with 4200 and returns once all connections have ended.
///
/// `config` must have passed [`Config::validate`].
///
/// # Errors
/// None at present: failed accepts are logged and retried (the `Result` leaves room for setup that
/// can fail, such as TLS).
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let apps = Arc::new(Apps::new(&config.apps));
    let tracker = TaskTracker::new();
    let webhooks = Webhooks::start(
        apps.clone(),
        config.server.webhooks.clone(),
        shutdown.clone(),
        &tracker,
    );
    let (cluster_handle, cluster_rx) = cluster::handle(&config.cluster);
    let registry = Registry::new(webhooks, cluster_handle, shutdown.clone());
    if let Some(rx) = cluster_rx {
        cluster::start(
            &config.cluster,
            rx,
            registry.clone(),
            apps.clone(),
            shutdown.clone(),
            &tracker,
        );
    }
    let _ingest = ingest::start(&apps, &registry, &shutdown, &tracker);
    tracker.spawn(flush_counts(
        registry.clone(),
        apps.clone(),
        shutdown.clone(),
    ));
    let shared = Shared {
        apps,
        registry,
        settings: Arc::new(config.server),
        ids: Arc::new(SocketIds::new()),
        api_limiter: Arc::default(),
        echo: socketio::echo::Echo::default(),
        sessions: Arc::default(),
        shutdown: shutdown.clone(),
        tracker: tracker.clone(),
    };
    let registry = shared.registry.clone();
    let app = http::router(shared.clone());
    http::serve(listener, app, shared).await;
    registry.close_all(resso_protocol::ErrorCode::ReconnectImmediately);
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// Sends the throttled `subscription_count`s once a second until shutdown.
async fn flush_counts(registry: Registry, apps: Arc<Apps>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => registry.flush_counts(&apps),
        }
    }
}
