//! The registry's outgoing port: what it tells the other nodes of a cluster, in its own vocabulary
//! ([`Outgoing`]), through whatever implements [`Peers`]. The cluster transport implements it and
//! wraps each message in its envelope; without a cluster there is no peer and nothing is sent. The
//! registry sends under its lock and never waits, so an implementation must only queue.

use std::sync::Arc;

use resso_protocol::{AppId, UserId};

use super::handover::Handover;
use super::replica::{Change, NodeId, Publish};

/// A message from this node's registry to the other nodes.
#[derive(Debug)]
pub enum Outgoing {
    /// An event for the other nodes' subscribers.
    Publish(Publish),
    /// A change of this node's local state, numbered as this node's publishes are.
    Delta {
        app: AppId,
        change: Change,
        seq: u64,
    },
    /// Close every connection signed in as `user`.
    Terminate { app: AppId, user: UserId },
    /// A step of a Socket.IO recovery handed over between nodes.
    Handover(Handover),
}

/// Where [`Outgoing`] messages go: the cluster's queue. Must not block.
pub trait Peers: Send + Sync {
    fn send(&self, message: Outgoing);
}

/// This node's id and, in a cluster, its peers.
#[derive(Clone)]
pub struct Port {
    node: NodeId,
    peers: Option<Arc<dyn Peers>>,
}

impl Default for Port {
    fn default() -> Self {
        Self::single()
    }
}

impl Port {
    /// A single node: nothing is sent anywhere.
    #[must_use]
    pub fn single() -> Self {
        Self {
            node: rand::random(),
            peers: None,
        }
    }

    /// Node `node` of a cluster, sending to `peers`.
    #[must_use]
    pub fn clustered(node: NodeId, peers: Arc<dyn Peers>) -> Self {
        Self {
            node,
            peers: Some(peers),
        }
    }

    pub const fn node(&self) -> NodeId {
        self.node
    }

    /// Whether other nodes may exist.
    pub const fn is_clustered(&self) -> bool {
        self.peers.is_some()
    }

    pub fn send(&self, message: Outgoing) {
        if let Some(peers) = &self.peers {
            peers.send(message);
        }
    }
}
