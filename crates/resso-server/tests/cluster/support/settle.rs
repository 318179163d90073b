//! [`Cluster::settle`]: waits until every webhook the nodes owe so far has reached the sink, for the
//! assertions that nothing more comes (no duplicate, no late removal) — instead of sleeping for a
//! guessed time. Its sentinels are channels named `settle-…` and `private-settle-…`; the assertions
//! look at other channels.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use super::{Cluster, Sink};

/// The path of the sink every test gives its nodes as their webhook endpoint.
pub const HOOKS: &str = "/hooks";

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Cluster {
    /// Call once every live node shows the changes in question (an `await_*`), so each has emitted
    /// what it owes. Two steps, because only one node (the leader) fires occupancy and member
    /// webhooks, while a wrong duplicate could come from any node's own dispatcher:
    /// 1. a sentinel channel occupied and left now is vacated, by the leader, one grace from now:
    ///    once that webhook is in, every event any node held for its grace is due;
    /// 2. a client event sent on each live node is reported by that node itself, and a dispatcher
    ///    hands events over in the order they come due (batches a window apart): once each node's
    ///    is in, so is everything that node owed before it.
    pub async fn settle(&self, sink: &Sink) {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let public = format!("settle-{n}");
        let first = self.live().next().expect("a live node");
        let mut sentinel = first.connect().await;
        sentinel.subscribe_public(&public).await;
        drop(sentinel);
        let vacated = |e: &Value| e["name"] == "channel_vacated" && e["channel"] == public.as_str();
        sink.wait_for(HOOKS, vacated).await;

        let private = format!("private-settle-{n}");
        let mut sent = Vec::new();
        for node in self.live() {
            let mut client = node.connect().await;
            client.subscribe_private(&private).await;
            let event = format!("client-settle-{}", node.name);
            let frame = json!({"event": event, "channel": private, "data": {}});
            client.send_json(&frame).await;
            sent.push((client, event));
        }
        for (_, event) in &sent {
            let reported = |e: &Value| {
                e["name"] == "client_event"
                    && e["channel"] == private.as_str()
                    && e["event"] == event.as_str()
            };
            sink.wait_for(HOOKS, reported).await;
        }
    }
}
