//! Occupancy and presence webhooks fire exactly once across the cluster, by one node, however the
//! subscribers are spread over nodes — also when two nodes change the same channel at once.

use std::time::Duration;

use tokio::time::Instant;

use crate::support::{Backend, Cluster, Options, Sink, HOOKS, MAIN};

both_brokers!(webhooks_fire_once, concurrent_changes_fire_once);

const ROOM: &str = "hooks-room";
const PRESENCE: &str = "presence-hooks";
const WAIT: Duration = Duration::from_secs(3);

async fn start(backend: Backend) -> (Cluster, Sink) {
    let sink = Sink::start(MAIN).await;
    let options = Options {
        webhook: Some(sink.url(HOOKS)),
        ..Options::default()
    };
    (Cluster::start(backend, 2, options).await, sink)
}

/// Asserts exactly `n` `name` webhooks for `channel` (and `user`) since `t0`.
fn assert_count(
    sink: &Sink,
    t0: Instant,
    (name, channel, user): (&str, &str, Option<&str>),
    n: usize,
) {
    let got = sink.count(t0, name, channel, user);
    assert_eq!(
        got,
        n,
        "{name} {channel} {user:?}: all events {:?}",
        sink.events_since(t0)
    );
}

async fn webhooks_fire_once(backend: Backend) {
    let (cluster, sink) = start(backend).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let t0 = Instant::now();

    // Node 1 then node 2 subscribe: one channel_occupied.
    let mut x1 = n1.connect().await;
    x1.subscribe_public(ROOM).await;
    cluster.await_subscriptions(ROOM, 1).await;
    let mut x2 = n2.connect().await;
    x2.subscribe_public(ROOM).await;
    cluster.await_subscriptions(ROOM, 2).await;
    sink.wait_for_event(t0, ("channel_occupied", ROOM, None), WAIT)
        .await;
    cluster.settle(&sink).await;
    assert_count(&sink, t0, ("channel_occupied", ROOM, None), 1);
    assert_count(&sink, t0, ("channel_vacated", ROOM, None), 0);

    // Both leave, one after the other: one channel_vacated.
    x1.unsubscribe(ROOM).await;
    cluster.await_subscriptions(ROOM, 1).await;
    x2.unsubscribe(ROOM).await;
    cluster.await_subscriptions(ROOM, 0).await;
    sink.wait_for_event(t0, ("channel_vacated", ROOM, None), WAIT)
        .await;
    cluster.settle(&sink).await;
    assert_count(&sink, t0, ("channel_vacated", ROOM, None), 1);
    assert_count(&sink, t0, ("channel_occupied", ROOM, None), 1);

    // One presence user on both nodes: one member_added, one member_removed.
    let member = (Some("7"), PRESENCE);
    x1.join(PRESENCE, "7", "Seven").await;
    cluster.await_users(PRESENCE, &["7"]).await;
    x2.join(PRESENCE, "7", "Seven").await;
    cluster.await_subscriptions(PRESENCE, 2).await;
    sink.wait_for_event(t0, ("member_added", PRESENCE, member.0), WAIT)
        .await;
    x2.close().await;
    cluster.await_subscriptions(PRESENCE, 1).await;
    x1.close().await;
    cluster.await_subscriptions(PRESENCE, 0).await;
    sink.wait_for_event(t0, ("member_removed", PRESENCE, member.0), WAIT)
        .await;
    sink.wait_for_event(t0, ("channel_vacated", PRESENCE, None), WAIT)
        .await;
    cluster.settle(&sink).await;
    for name in ["member_added", "member_removed"] {
        assert_count(&sink, t0, (name, PRESENCE, member.0), 1);
    }
    for name in ["channel_occupied", "channel_vacated"] {
        assert_count(&sink, t0, (name, PRESENCE, None), 1);
    }
}

/// Two nodes decide at once: the broker is paused (SIGSTOP, well under the node timeout) while a
/// client on each node subscribes — and later unsubscribes — so neither node has heard of the
/// other's change when it decides. Still one `channel_occupied`, one `channel_vacated`, one
/// `member_added` and one `member_removed`.
async fn concurrent_changes_fire_once(backend: Backend) {
    let (cluster, sink) = start(backend).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let mut x1 = n1.connect().await;
    let mut x2 = n2.connect().await;
    let t0 = Instant::now();

    cluster.broker.process().signal("STOP");
    x1.join(PRESENCE, "7", "Seven").await;
    x2.join(PRESENCE, "7", "Seven").await;
    cluster.broker.process().signal("CONT");
    cluster.await_subscriptions(PRESENCE, 2).await;
    sink.wait_for_event(t0, ("channel_occupied", PRESENCE, None), WAIT)
        .await;
    cluster.settle(&sink).await;
    let t1 = Instant::now();

    cluster.broker.process().signal("STOP");
    x1.unsubscribe(PRESENCE).await;
    x2.unsubscribe(PRESENCE).await;
    x1.ping().await;
    x2.ping().await;
    cluster.broker.process().signal("CONT");
    cluster.await_subscriptions(PRESENCE, 0).await;
    cluster.settle(&sink).await;

    let (member, occupied) = ((PRESENCE, Some("7")), (PRESENCE, None));
    let joined = [
        sink.count(t0, "channel_occupied", occupied.0, occupied.1),
        sink.count(t0, "member_added", member.0, member.1),
    ];
    let left = [
        sink.count(t1, "channel_vacated", occupied.0, occupied.1),
        sink.count(t1, "member_removed", member.0, member.1),
    ];
    assert_eq!(
        (joined, left),
        ([1, 1], [1, 1]),
        "([channel_occupied, member_added], [channel_vacated, member_removed]) for simultaneous \
         joins then leaves on two nodes; all events {:?}",
        sink.events_since(t0)
    );
}
