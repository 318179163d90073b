//! The broker dies mid-traffic (`kill -9`) and comes back on the same port: nodes keep serving their
//! local clients meanwhile and do not crash; afterwards cross-node delivery works again and every
//! node's presence and channel lists are right — no ghost, none missing.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::support::{
    assert_all_silent, eventually, object_keys, presence_hash, user_ids, Backend, Client, Cluster,
    Options, Sink, HOOKS, MAIN, QUIET, RECV,
};

both_brokers!(
    broker_outage_and_return,
    webhooks_agree_with_the_state_after_an_outage
);

const ROOM: &str = "presence-room";
const FEED: &str = "feed";
/// How soon after the broker is back the cluster must work again.
const RECOVER: Duration = Duration::from_secs(5);

/// Reads frames until every one of `events` arrived on FEED (in any order: one may be local, the
/// other cross-node), skipping late `skippable` ones.
async fn until_events(client: &mut Client, events: &[&str], skippable: &str) {
    let mut missing: BTreeSet<&str> = events.iter().copied().collect();
    while !missing.is_empty() {
        let frame = client.recv_within(RECOVER).await;
        let name = frame["event"].as_str().unwrap_or_default();
        if missing.remove(name) {
            assert_eq!(frame["channel"], FEED, "{frame}");
            continue;
        }
        assert!(
            name.starts_with(skippable),
            "unexpected {frame} while waiting for {missing:?}"
        );
    }
}

/// Replays member events on `client` from `present` (users it knows); returns who it ends with.
fn replay(mut present: BTreeSet<String>, frames: &[Value]) -> BTreeSet<String> {
    for frame in frames {
        let data: Value =
            serde_json::from_str(frame["data"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
        let user = data["user_id"].as_str().unwrap_or_default().to_owned();
        match frame["event"].as_str() {
            Some("pusher_internal:member_added") => assert!(present.insert(user), "{frame}"),
            Some("pusher_internal:member_removed") => assert!(present.remove(&user), "{frame}"),
            _ => panic!("unexpected frame on a presence client: {frame}"),
        }
    }
    present
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// Whether each of the two nodes has given the other up (node timeout): node 1 lists only user 1
/// in ROOM, node 2 only user 2.
async fn apart(cluster: &Cluster) -> bool {
    for (i, user) in [(0, "1"), (1, "2")] {
        let users = cluster.node(i).api();
        let users = users.get_ok(&format!("/channels/{ROOM}/users"), &[]).await;
        if user_ids(&users) != set(&[user]) {
            return false;
        }
    }
    true
}

/// Waits until the broker outage has lasted past the node timeout, as each node sees it.
async fn await_apart(cluster: &Cluster) {
    eventually("each node has given the other up", || apart(cluster)).await;
}

/// Publishes `during-n1-{k}` on node 1 and `during-n2-{k}` on node 2; each node's own subscriber
/// gets its own.
async fn serve_locally(cluster: &Cluster, (f1, f2): (&mut Client, &mut Client), k: usize) {
    let (n1, n2) = (format!("during-n1-{k}"), format!("during-n2-{k}"));
    cluster.node(0).api().publish(FEED, &n1, "", None).await;
    cluster.node(1).api().publish(FEED, &n2, "", None).await;
    f1.expect_event(&n1).await;
    f2.expect_event(&n2).await;
}

async fn broker_outage_and_return(backend: Backend) {
    let mut cluster = Cluster::start(backend, 2, Options::default()).await;
    let (mut f1, mut f2) = (
        cluster.node(0).connect().await,
        cluster.node(1).connect().await,
    );
    f1.subscribe_public(FEED).await;
    f2.subscribe_public(FEED).await;
    let mut alice = cluster.node(0).connect().await;
    alice.join(ROOM, "1", "Alice").await;
    cluster.await_users(ROOM, &["1"]).await;
    let mut bob = cluster.node(1).connect().await;
    bob.join(ROOM, "2", "Bob").await;
    alice.expect_member("member_added", ROOM, RECV).await;
    cluster.await_users(ROOM, &["1", "2"]).await;
    cluster
        .node(0)
        .api()
        .publish(FEED, "before", "", None)
        .await;
    f1.expect_event("before").await;
    f2.expect_event("before").await;

    // The broker dies; each node keeps serving its own clients, before and after the outage has
    // outlasted the node timeout (each has given the other up).
    cluster.broker.kill();
    serve_locally(&cluster, (&mut f1, &mut f2), 0).await;
    await_apart(&cluster).await;
    serve_locally(&cluster, (&mut f1, &mut f2), 1).await;
    cluster.assert_running();

    // It comes back on the same port: the nodes find each other again.
    cluster.broker.restart().await;
    let back = Instant::now();
    cluster.await_mesh().await;
    cluster
        .node(0)
        .api()
        .publish(FEED, "after-n1", "", None)
        .await;
    cluster
        .node(1)
        .api()
        .publish(FEED, "after-n2", "", None)
        .await;
    let after = ["after-n1", "after-n2"];
    until_events(&mut f1, &after, "during-n2-").await;
    until_events(&mut f2, &after, "during-n1-").await;
    let recovered = back.elapsed();
    assert!(
        recovered < RECOVER,
        "cross-node delivery back after {recovered:?}"
    );
    assert_all_silent(&mut [&mut f1, &mut f2]).await;

    // Lists from either node: both members, both channels with two subscribers each.
    cluster.await_users(ROOM, &["1", "2"]).await;
    let expected = json!({"channels": {
        FEED: {"subscription_count": 2}, ROOM: {"subscription_count": 2}
    }});
    let info = [("info", "subscription_count")];
    cluster
        .await_all("/channels", &info, |b| b == &expected)
        .await;
    for i in 0..2 {
        let channels = cluster.node(i).api().get_ok("/channels", &info).await;
        assert_eq!(channels, expected, "node{}", i + 1);
    }

    // Clients may have seen the other node's member leave and come back, but must end with it.
    let frames = alice.drain(QUIET).await;
    assert_eq!(
        replay(set(&["1", "2"]), &frames),
        set(&["1", "2"]),
        "alice: {frames:?}"
    );
    let frames = bob.drain(QUIET).await;
    assert_eq!(
        replay(set(&["1", "2"]), &frames),
        set(&["1", "2"]),
        "bob: {frames:?}"
    );

    // A newcomer on either node sees exactly the two.
    for i in 0..2 {
        let mut carol = cluster.node(i).connect().await;
        let hash = presence_hash(&carol.join(ROOM, "3", "Carol").await);
        assert_eq!(object_keys(&hash), set(&["1", "2", "3"]), "node{}", i + 1);
        carol.close().await;
        cluster.await_users(ROOM, &["1", "2"]).await;
    }
    cluster.assert_running();
}

/// The state a webhook consumer builds from `events`, in arrival order: occupied channels and
/// present (channel, user) pairs.
fn webhook_view(events: &[Value]) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let (mut channels, mut members) = (BTreeSet::new(), BTreeSet::new());
    for e in events {
        let channel = e["channel"].as_str().unwrap_or_default().to_owned();
        if channel.contains("settle-") {
            continue; // `Cluster::settle`'s sentinels
        }
        let member = || {
            (
                channel.clone(),
                e["user_id"].as_str().unwrap_or_default().to_owned(),
            )
        };
        match e["name"].as_str() {
            Some("channel_occupied") => channels.insert(channel.clone()),
            Some("channel_vacated") => channels.remove(&channel),
            Some("member_added") => members.insert(member()),
            Some("member_removed") => members.remove(&member()),
            _ => false,
        };
    }
    (channels, members)
}

/// Nodes cannot tell a broker outage from the other nodes' death, so webhooks may report members
/// leaving meanwhile; but once the broker is back, what a webhook consumer has been told must
/// match the cluster again: nobody left, so every member and channel is there.
async fn webhooks_agree_with_the_state_after_an_outage(backend: Backend) {
    let sink = Sink::start(MAIN).await;
    let options = Options {
        webhook: Some(sink.url(HOOKS)),
        ..Options::default()
    };
    let mut cluster = Cluster::start(backend, 2, options).await;
    let t0 = Instant::now();
    let mut alice = cluster.node(0).connect().await;
    alice.join(ROOM, "1", "Alice").await;
    cluster.await_users(ROOM, &["1"]).await;
    let mut bob = cluster.node(1).connect().await;
    bob.join(ROOM, "2", "Bob").await;
    bob.subscribe_public(FEED).await;
    cluster.await_users(ROOM, &["1", "2"]).await;
    sink.wait_for_event(t0, ("channel_occupied", FEED, None), RECV)
        .await;

    // Past the node timeout each side, as its own leader, reports what it no longer sees.
    let killed = Instant::now();
    cluster.broker.kill();
    await_apart(&cluster).await;
    for gone in [
        ("member_removed", ROOM, Some("1")),
        ("member_removed", ROOM, Some("2")),
        ("channel_vacated", FEED, None),
    ] {
        sink.wait_for_event(killed, gone, RECOVER).await;
    }
    cluster.broker.restart().await;
    cluster.await_mesh().await;
    cluster.await_users(ROOM, &["1", "2"]).await;
    cluster.settle(&sink).await;

    let events = sink.events_since(t0);
    let pair = |u: &str| (ROOM.to_owned(), u.to_owned());
    assert_eq!(
        webhook_view(&events),
        (set(&[FEED, ROOM]), BTreeSet::from([pair("1"), pair("2")])),
        "(occupied channels, members) told by webhooks; events: {events:?}"
    );
    cluster.assert_running();
}
