//! Heartbeats and the death of nodes: every `heartbeat_ms` this node tells the others it is alive
//! (with its connection counts, for cluster-wide limits), and any node silent for longer than
//! `node_timeout_ms` is removed — its connections' presence members and channel occupancy vanish
//! cluster-wide, with `member_removed` to local clients and, once, the webhooks.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::wire::Wire;
use super::Outbound;
use crate::config::ClusterConfig;
use crate::registry::Registry;

/// Runs until shutdown.
pub(super) async fn run(
    registry: Registry,
    out: Outbound,
    config: ClusterConfig,
    shutdown: CancellationToken,
) {
    let timeout = Duration::from_millis(config.node_timeout_ms);
    let mut tick = tokio::time::interval(Duration::from_millis(config.heartbeat_ms));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                let connections = registry.connection_counts();
                out.send(Wire::Heartbeat { node: out.node, connections });
                registry.expire_nodes(timeout);
            }
        }
    }
}
