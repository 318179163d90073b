//! The composition root: builds every part once — apps, webhooks, the registry and its cluster
//! port, Laravel Redis ingestion, the HTTP edge with both connection endpoints — and owns the
//! shutdown token and the task tracker they all stop by. It serves one listener ([`run`]) or a
//! TLS listener with a plain one beside it ([`serve`] with [`Listeners`]).

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::Config;
use crate::http::Edge;
use crate::registry::Registry;
use crate::tls::{self, Tls};
use crate::webhooks::Webhooks;
use crate::{cluster, http, ingest};

/// Where [`serve`] accepts connections.
pub struct Listeners {
    /// On `server.port`: TLS when `tls` is given, plain otherwise.
    pub main: TcpListener,
    /// The certificates of `main`, reloaded on SIGHUP and when their files change.
    pub tls: Option<Tls>,
    /// A plain listener beside a TLS `main` (`server.tls.plain_port`).
    pub plain: Option<TcpListener>,
}

/// Serves WebSocket clients and the HTTP API on `listener` until `shutdown` is cancelled, then closes
/// every client with 4200 and returns once all connections have ended. With `[server.tls]` in
/// `config`, the listener serves TLS (`wss://`, `https://`).
///
/// `config` must have passed [`Config::validate`].
///
/// # Errors
/// A certificate or key in `[server.tls]` that cannot be used (the error names the file); failed
/// accepts are logged and retried.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let tls = config.server.tls.as_ref().map(Tls::load).transpose();
    let listeners = Listeners {
        main: listener,
        tls: tls.map_err(std::io::Error::other)?,
        plain: None,
    };
    serve(listeners, config, shutdown).await
}

/// [`run`] on [`Listeners`]: TLS as `listeners.tls` says (`config.server.tls` is not read again),
/// with an optional plain listener beside it.
///
/// # Errors
/// None at present: failed accepts are logged and retried.
pub async fn serve(
    listeners: Listeners,
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
    let mut accept = vec![http::Listener {
        tcp: listeners.main,
        tls: listeners.tls.clone(),
    }];
    accept.extend(listeners.plain.map(|tcp| http::Listener { tcp, tls: None }));
    if let Some(certificates) = listeners.tls {
        tracker.spawn(tls::watch(certificates, shutdown.clone()));
    }
    http::serve(accept, http::router(edge.clone()), edge).await;
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
