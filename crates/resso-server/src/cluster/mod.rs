//! Horizontal scaling: nodes share events and state through a broker (Redis pub/sub or NATS), chosen
//! once at start-up by one `match` in [`start`]; nothing outside this module knows which one runs.
//! The registry sends [`Wire`] messages through a [`Cluster`] handle (never waiting: a bounded
//! queue, overflow counted) and the other nodes' messages reach it through [`protocol::apply`].
//! Each event crosses the broker once; every node fans it out to its own subscribers.
//!
//! - [`wire`]: the messages, names parsed once at decode.
//! - [`protocol`]: what each message does here — deltas, `Hello`/`State` snapshots, resync.
//! - [`replica`]: what the other nodes hold, kept beside the registry's local state; who leads.
//! - [`told`]: which node fires the cluster's occupancy and member webhooks, and how a webhook
//!   consumer's picture is mended after a partition.
//! - [`link`]: the task owning the broker connection: reconnects with backoff, re-announces itself.
//! - `redis` / `nats`: the two brokers behind one small [`link::Broker`] enum.
//! - [`membership`]: heartbeats and the detection of dead nodes.

pub mod link;
pub mod membership;
mod nats;
pub mod protocol;
mod redis;
pub mod replica;
pub mod told;
pub mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::{Backend, ClusterConfig};
use crate::registry::Registry;
use wire::{NodeId, Wire};

/// How many messages may wait for the broker before new ones are dropped (and counted).
const QUEUE: usize = 65_536;

/// Handle for sending to the other nodes; cheap to clone. Without a cluster it sends nothing.
#[derive(Clone)]
pub struct Cluster {
    node: NodeId,
    tx: Option<mpsc::Sender<Wire>>,
    dropped: Arc<AtomicU64>,
}

impl Default for Cluster {
    fn default() -> Self {
        Self::single()
    }
}

impl Cluster {
    /// A single node: nothing is sent anywhere.
    #[must_use]
    pub fn single() -> Self {
        Self {
            node: rand::random(),
            tx: None,
            dropped: Arc::default(),
        }
    }

    /// This node's id.
    #[must_use]
    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Whether other nodes may exist.
    #[must_use]
    pub const fn is_clustered(&self) -> bool {
        self.tx.is_some()
    }

    /// Sends `wire` to the other nodes; never waits.
    pub fn send(&self, wire: Wire) {
        let Some(tx) = &self.tx else {
            return;
        };
        if tx.try_send(wire).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "cluster queue full: message dropped");
            }
        }
    }
}

/// Creates the handle and its outbound queue for `config`; the link is started by [`start`] once
/// the registry that receives from it exists.
#[must_use]
pub fn handle(config: &ClusterConfig) -> (Cluster, Option<mpsc::Receiver<Wire>>) {
    if config.backend == Backend::None {
        return (Cluster::single(), None);
    }
    let (tx, rx) = mpsc::channel(QUEUE);
    let cluster = Cluster {
        node: rand::random(),
        tx: Some(tx),
        dropped: Arc::default(),
    };
    (cluster, Some(rx))
}

/// Starts the broker link and the membership task, tracked by `tracker` and stopped by `shutdown`.
pub fn start(
    config: &ClusterConfig,
    rx: mpsc::Receiver<Wire>,
    registry: Registry,
    apps: Arc<Apps>,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) {
    let url = config.url.clone().unwrap_or_default();
    let topic = format!("{}resso-cluster", config.prefix);
    let broker = match config.backend {
        Backend::None => return,
        Backend::Redis => link::Broker::Redis {
            url,
            channel: topic,
        },
        Backend::Nats => link::Broker::Nats {
            url,
            subject: topic,
        },
    };
    tracker.spawn(membership::run(
        registry.clone(),
        config.clone(),
        shutdown.clone(),
    ));
    tracker.spawn(link::run(broker, rx, registry, apps, shutdown));
}
