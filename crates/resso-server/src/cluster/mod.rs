//! Horizontal scaling: nodes share events and state through a broker (Redis pub/sub or NATS), chosen
//! once at start-up by one `match` in [`start`]; nothing outside this module knows which one runs.
//! The registry tells the other nodes what changed through its [`Peers`] port, which [`Outbound`]
//! implements by wrapping each message in a [`Wire`] envelope and queueing it (never waiting: a
//! bounded queue, overflow counted); the other nodes' messages reach the registry through
//! [`dispatch::apply`]. Each event crosses the broker once; every node fans it out to its own
//! subscribers. The replication vocabulary (changes, snapshots, node ids) is the registry's.
//!
//! - [`wire`]: the envelope on the broker, names parsed once at decode.
//! - [`dispatch`]: what each message does here — deltas, `Hello`/`State` snapshots, resync.
//! - [`link`]: the task owning the broker connection: reconnects with backoff, re-announces itself.
//! - `redis` / `nats`: the two brokers behind one small [`link::Broker`] enum.
//! - [`membership`]: heartbeats and the detection of dead nodes.

mod dispatch;
mod link;
mod membership;
mod nats;
mod redis;
pub mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::{Backend, ClusterConfig};
use crate::registry::replica::NodeId;
use crate::registry::{Handover, Outgoing, Peers, Port, Registry, Step};
use wire::Wire;

/// How many messages may wait for the broker before new ones are dropped (and counted).
const QUEUE: usize = 65_536;

/// The queue to the broker link; cheap to clone. Cluster messages of its own (heartbeats,
/// snapshots) and the registry's share it, so the other nodes see them in the order they were
/// sent: a `State` never overtakes a delta it already includes.
#[derive(Clone)]
pub(crate) struct Outbound {
    node: NodeId,
    tx: mpsc::Sender<Wire>,
    traffic: Arc<Traffic>,
}

/// Messages this node sent to and received from the broker, and those dropped because its queue
/// was full (`cluster_messages_total`, `cluster_dropped_total`); counted by the link task.
#[derive(Debug, Default)]
pub struct Traffic {
    sent: AtomicU64,
    received: AtomicU64,
    dropped: AtomicU64,
    /// Times the broker connection was lost (or could not be made) and tried again.
    reconnections: AtomicU64,
}

impl Traffic {
    /// Sent, received and dropped so far.
    #[must_use]
    pub fn counts(&self) -> (u64, u64, u64) {
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        (read(&self.sent), read(&self.received), read(&self.dropped))
    }

    /// Times the broker connection was lost (or could not be made) and tried again.
    #[must_use]
    pub fn reconnections(&self) -> u64 {
        self.reconnections.load(Ordering::Relaxed)
    }

    fn reconnecting(&self) {
        self.reconnections.fetch_add(1, Ordering::Relaxed);
    }
}

/// The counters of `queue`'s link; zeros that stay zero on a single node.
#[must_use]
pub fn traffic(queue: Option<&Queue>) -> Arc<Traffic> {
    queue.map_or_else(Arc::default, |q| q.outbound.traffic.clone())
}

impl Outbound {
    /// Sends `wire` to the other nodes; never waits.
    fn send(&self, wire: Wire) {
        if self.tx.try_send(wire).is_err() {
            let dropped = self.traffic.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "cluster queue full: message dropped");
            }
        }
    }
}

impl Peers for Outbound {
    fn send(&self, message: Outgoing) {
        let node = self.node;
        let wire = match message {
            Outgoing::Publish(publish) => Wire::Publish(publish),
            Outgoing::Delta { app, change, seq } => Wire::Delta {
                node,
                app,
                change,
                seq,
            },
            Outgoing::Terminate { app, user } => Wire::Terminate { node, app, user },
            Outgoing::Handover(handover) => Wire::Handover {
                node,
                handover: bounded(handover),
            },
        };
        Self::send(self, wire);
    }
}

/// The most bytes of JSON a handed-over replay may take on the broker: under NATS's default
/// `max_payload` (1 MB), since a publish the server refuses costs the link its connection.
const MAX_REPLAY_BYTES: usize = 900 * 1024;

/// `handover`, with a replay too large for the broker turned into a refusal (the client gets a
/// fresh session).
fn bounded(handover: Handover) -> Handover {
    let Step::Replay(Some(handed)) = &handover.step else {
        return handover;
    };
    let size = serde_json::to_vec(handed).map_or(usize::MAX, |json| json.len());
    if size <= MAX_REPLAY_BYTES {
        return handover;
    }
    tracing::debug!(
        size,
        "a Socket.IO replay too large for the broker: not handed over"
    );
    Handover {
        step: Step::Replay(None),
        ..handover
    }
}

/// The registry's port for `config`, and the queue behind it for [`start`] (none on a single node).
#[must_use]
pub fn port(config: &ClusterConfig) -> (Port, Option<Queue>) {
    if config.backend == Backend::None {
        return (Port::single(), None);
    }
    let (tx, rx) = mpsc::channel(QUEUE);
    let outbound = Outbound {
        node: rand::random(),
        tx,
        traffic: Arc::default(),
    };
    let port = Port::clustered(outbound.node, Arc::new(outbound.clone()));
    (port, Some(Queue { outbound, rx }))
}

/// The outbound queue, both ends: the link drains it, heartbeats and answers go into it.
pub struct Queue {
    outbound: Outbound,
    rx: mpsc::Receiver<Wire>,
}

/// Starts the broker link and the membership task, tracked by `tracker` and stopped by `shutdown`.
pub fn start(
    config: &ClusterConfig,
    queue: Queue,
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
    let Queue { outbound, rx } = queue;
    tracker.spawn(membership::run(
        registry.clone(),
        outbound.clone(),
        config.clone(),
        shutdown.clone(),
    ));
    tracker.spawn(link::run(broker, rx, outbound, registry, apps, shutdown));
}

#[cfg(test)]
impl Queue {
    /// What this node sent, as the broker would carry it.
    pub(crate) fn try_recv(&mut self) -> Option<Wire> {
        self.rx.try_recv().ok()
    }

    /// Applies another node's message to `registry` as this node's link would.
    pub(crate) fn apply(&self, registry: &Registry, wire: Wire, apps: &Apps) {
        dispatch::apply(registry, &self.outbound, wire, apps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handover step replaying one event of `bytes` bytes of data.
    fn replay(bytes: usize) -> Handover {
        let text = "x".repeat(bytes);
        let event = format!(r#"{{"event":{{"channel":"c","event":"e","text":"{text}"}}}}"#);
        let step = format!(r#"{{"replay":{{"events":[{event}],"marks":{{"7":3}}}}}}"#);
        let json = format!(r#"{{"to":1,"app":"a","request":1,"step":{step}}}"#);
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn a_replay_too_large_for_the_broker_is_refused() {
        assert!(matches!(bounded(replay(1000)).step, Step::Replay(Some(_))));
        let big = bounded(replay(MAX_REPLAY_BYTES));
        assert!(matches!(big.step, Step::Replay(None)));
        assert_eq!(
            (big.to, big.request),
            (Some(1), 1),
            "still answers the claim"
        );
    }
}
