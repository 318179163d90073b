//! The composition root: builds every part once — apps and their database store, webhooks, the
//! registry and its cluster port, Laravel Redis ingestion, the HTTP edge with both connection
//! endpoints — and owns the shutdown token and the task tracker they all stop by.
//!
//! Shutdown is a drain: once the token is cancelled, new clients are refused (4200) and `/ready`
//! answers 503, while the connected clients are closed with 4200 a share at a time over
//! `drain_seconds`, so that a fleet of browsers does not reconnect to the other nodes at one
//! instant. HTTP requests are still served meanwhile; then the listener closes.
//!
//! It serves one listener ([`run`]) or a TLS listener with a plain one beside it ([`serve`] with
//! [`Listeners`]).

use std::sync::Arc;
use std::time::Duration;

use resso_protocol::ErrorCode;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::{Config, MetricsConfig};
use crate::http::Edge;
use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::tls::{self, Tls};
use crate::webhooks::Webhooks;
use crate::{cluster, http, ingest, store};

mod banner;
mod gauges;
mod reload;

pub use banner::banner;

/// Where [`serve`] accepts connections.
pub struct Listeners {
    /// On `server.port`: TLS when `tls` is given, plain otherwise.
    pub main: TcpListener,
    /// The certificates of `main`, reloaded on SIGHUP and when their files change.
    pub tls: Option<Tls>,
    /// A plain listener beside a TLS `main` (`server.tls.plain_port`).
    pub plain: Option<TcpListener>,
}

/// Serves WebSocket clients and the HTTP API on `listener` until `shutdown` is cancelled, then
/// drains: closes every client with 4200 over `drain_seconds` and returns once all connections have
/// ended. With `[server.tls]` in `config`, the listener serves TLS (`wss://`, `https://`).
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
    serve_reloading(listeners, config, shutdown, mpsc::channel(1).1).await
}

/// [`serve`], applying each validated configuration `reloads` brings (SIGHUP): its apps and
/// their webhooks; what only a restart applies is named in a warning.
///
/// # Errors
/// As [`serve`].
pub async fn serve_reloading(
    listeners: Listeners,
    config: Config,
    shutdown: CancellationToken,
    reloads: mpsc::Receiver<Config>,
) -> std::io::Result<()> {
    let port = listeners.main.local_addr()?.port();
    let metrics = Metrics::new(&config.metrics.prefix, port);
    crate::metrics::mark_start();
    let apps = Arc::new(Apps::counted(&config.apps, &metrics));
    apps.taps().set_debug(config.server.debug);
    let tracker = TaskTracker::new();
    let webhooks = Webhooks::start(
        apps.clone(),
        config.server.webhooks.clone(),
        shutdown.clone(),
        &tracker,
    );
    let (port, queue) = cluster::port(&config.cluster);
    gauges::register_cluster(&metrics, cluster::traffic(queue.as_ref()), &apps);
    let registry = Registry::new(webhooks, port, shutdown.clone());
    if let Some(store) = config.app_store.clone() {
        let changes = store::start(store, &apps, &registry, shutdown.clone(), &tracker)
            .await
            .map_err(std::io::Error::other)?;
        let (apps, registry) = (apps.clone(), registry.clone());
        let follow = ingest::follow(apps, registry, changes, shutdown.clone(), tracker.clone());
        tracker.spawn(follow);
    }
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
    gauges::register(&metrics, &registry, &apps);
    tracker.spawn(flush_counts(
        registry.clone(),
        apps.clone(),
        shutdown.clone(),
    ));
    let window = Duration::from_secs(config.server.drain_seconds);
    let running = reload::Running {
        config: config.clone(),
        apps: apps.clone(),
        registry: registry.clone(),
    };
    tracker.spawn(reload::serve(running, reloads, shutdown.clone()));
    let edge = Edge::new(
        apps,
        registry.clone(),
        config.server,
        shutdown.clone(),
        tracker.clone(),
    );
    let stop = edge.stop.clone();
    if let Some(mib) = edge.settings.limits.max_rss_mb {
        let watch = edge.memory.clone().watch(mib << 20, stop.clone());
        tracker.spawn(watch);
    }
    let page = metrics_page(&config.metrics, metrics, &stop, &tracker).await?;
    let mut accept = vec![http::Listener {
        tcp: listeners.main,
        tls: listeners.tls.clone(),
    }];
    accept.extend(listeners.plain.map(|tcp| http::Listener { tcp, tls: None }));
    if let Some(certificates) = listeners.tls {
        tracker.spawn(tls::watch(certificates, shutdown.clone()));
    }
    let drained = async {
        shutdown.cancelled().await;
        drain(&registry, window).await;
        stop.cancel();
    };
    tokio::join!(
        http::serve(
            accept,
            http::router(edge.clone(), page, &config.console),
            edge
        ),
        drained
    );
    registry.close_all(ErrorCode::ReconnectImmediately);
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// The `/metrics` router for the main port, or `None` when metrics are off or served on a
/// listener of their own (bound and started here, so a taken port fails start-up).
async fn metrics_page(
    config: &MetricsConfig,
    metrics: Metrics,
    stop: &CancellationToken,
    tracker: &TaskTracker,
) -> std::io::Result<Option<axum::Router>> {
    if !config.enabled {
        return Ok(None);
    }
    let page = http::metrics::router(metrics, config.token.clone());
    let Some(port) = config.port else {
        return Ok(Some(page));
    };
    let listener = TcpListener::bind((config.host.as_str(), port))
        .await
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen for metrics on {}:{port}: {e}", config.host),
            )
        })?;
    tracker.spawn(http::metrics::serve_apart(listener, page, stop.clone()));
    Ok(None)
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

/// How often the drain closes its next share of clients.
const DRAIN_TICK: Duration = Duration::from_millis(100);

/// Closes every open connection with 4200, an equal share each tick over `window` (all at once
/// when it is zero). Clients that connect meanwhile are refused by the registry.
async fn drain(registry: &Registry, window: Duration) {
    let open = registry.open_connections();
    let ticks = usize::try_from(window.as_millis() / DRAIN_TICK.as_millis())
        .unwrap_or(usize::MAX)
        .max(1);
    let share = open.len().div_ceil(ticks).max(1);
    tracing::info!(
        connections = open.len(),
        ?window,
        "draining: closing clients with 4200"
    );
    let mut tick = tokio::time::interval(DRAIN_TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for batch in open.chunks(share) {
        tick.tick().await;
        for outbox in batch {
            outbox.close(ErrorCode::ReconnectImmediately);
        }
    }
}
