//! The composition root: builds every part once — apps, webhooks, the registry and its cluster
//! port, Laravel Redis ingestion, the HTTP edge with both connection endpoints — and owns the
//! shutdown token and the task tracker they all stop by.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::Config;
use crate::http::Edge;
use crate::registry::Registry;
use crate::webhooks::Webhooks;
use crate::{cluster, http, ingest};

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
    let (port, queue) = cluster::port(&config.cluster);
    let registry = Registry::new(webhooks, port, shutdown.clone());
    if let Some(queue) = queue {
        cluster::start(
            &config.cluster,
            queue,
            registry.clone(),
            apps.clone(),
            shutdown.clone(),
            &tracker,
        );
    }
    ingest::start(&apps, &registry, &shutdown, &tracker);
    tracker.spawn(flush_counts(
        registry.clone(),
        apps.clone(),
        shutdown.clone(),
    ));
    let edge = Edge::new(
        apps,
        registry.clone(),
        config.server,
        shutdown.clone(),
        tracker.clone(),
    );
    http::serve(listener, http::router(edge.clone()), edge).await;
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
