//! What a node does with each message from another. Deltas, publishes, terminations and the steps
//! of a Socket.IO recovery handed over between nodes are applied to the registry; a `Hello` (a node (re)joining) replaces what is known
//! of it and is answered with this node's `State`; a heartbeat from a node whose state is not known
//! here (its `Hello` was missed, or a broker outage lost track of it) makes this node resync by
//! saying `Hello` itself; a `Bye` removes the node at once instead of waiting for it to time out.

use super::wire::Wire;
use super::Outbound;
use crate::apps::Apps;
use crate::registry::Registry;

/// Applies a message from another node (this node's own echo is ignored); answers go to `out`.
pub(super) fn apply(registry: &Registry, out: &Outbound, wire: Wire, apps: &Apps) {
    if wire.node() == registry.node() {
        return;
    }
    match wire {
        Wire::Publish(publish) => registry.apply_publish(publish, apps),
        Wire::Delta {
            node,
            app,
            change,
            seq,
        } => registry.apply_delta((node, seq), &app, &change, apps),
        Wire::Heartbeat { node, connections } => {
            if !registry.heartbeat(node, connections) {
                say_hello(registry, out);
            }
        }
        Wire::Hello { node, snapshot } => {
            registry.replace_node(node, snapshot);
            out.send(Wire::State {
                node: registry.node(),
                snapshot: registry.snapshot(),
            });
        }
        Wire::State { node, snapshot } => registry.replace_node(node, snapshot),
        Wire::Bye { node } => registry.remove_node(node),
        Wire::Terminate { app, user, .. } => {
            registry.terminate_local(&app, user.as_str());
        }
        Wire::Handover { node, handover } => registry.on_handover(node, handover),
    }
}

/// Asks every node for its state, with ours.
fn say_hello(registry: &Registry, out: &Outbound) {
    out.send(Wire::Hello {
        node: registry.node(),
        snapshot: registry.snapshot(),
    });
}
