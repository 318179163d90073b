//! Ordering across nodes (docs/reliability.md "Ordering"): events one node publishes one after
//! another reach subscribers on every node in that order, and events one node publishes
//! concurrently reach every subscriber, on every node, in one and the same order.

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::support::{assert_all_silent, Backend, Client, Cluster, Options};

both_brokers!(
    sequential_publishes_keep_their_order_on_every_node,
    concurrent_publishes_share_one_order_on_every_node,
    client_events_keep_their_order_on_the_other_node,
);

/// Subscribers per node.
const PER_NODE: usize = 4;

/// `PER_NODE` subscribers of `channel` on each node.
async fn subscribers(cluster: &Cluster, channel: &str) -> Vec<Client> {
    let mut clients = Vec::new();
    for node in 0..2 {
        for _ in 0..PER_NODE {
            let mut client = cluster.node(node).connect().await;
            if channel.starts_with("private-") {
                client.subscribe_private(channel).await;
            } else {
                client.subscribe_public(channel).await;
            }
            clients.push(client);
        }
    }
    cluster
        .await_subscriptions(channel, 2 * PER_NODE as u64)
        .await;
    clients
}

/// The data of the next `n` events, each of which must be named `event`.
async fn datas(client: &mut Client, event: &str, n: usize) -> Vec<String> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let frame = client.recv_json().await;
        assert_eq!(frame["event"], event, "only {event} is published: {frame}");
        let data = match &frame["data"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        got.push(data);
    }
    got
}

async fn sequential_publishes_keep_their_order_on_every_node(backend: Backend) {
    const EVENTS: usize = 100;
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let mut clients = subscribers(&cluster, "ordered").await;
    let api = cluster.node(0).api();
    for i in 0..EVENTS {
        api.publish("ordered", "seq", &i.to_string(), None).await;
    }
    let expected: Vec<String> = (0..EVENTS).map(|i| i.to_string()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        let got = datas(client, "seq", EVENTS).await;
        assert_eq!(got, expected, "subscriber {i} (node {})", i / PER_NODE);
    }
    assert_all_silent(&mut clients.iter_mut().collect::<Vec<_>>()).await;
}

async fn concurrent_publishes_share_one_order_on_every_node(backend: Backend) {
    const PUBLISHERS: usize = 8;
    const EACH: usize = 40;
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let mut clients = subscribers(&cluster, "raced").await;
    let mut publishers = JoinSet::new();
    for p in 0..PUBLISHERS {
        let api = cluster.node(0).api();
        publishers.spawn(async move {
            for i in 0..EACH {
                api.publish("raced", "seq", &format!("{p}:{i}"), None).await;
            }
        });
    }
    while let Some(done) = publishers.join_next().await {
        done.expect("publisher task");
    }

    let total = PUBLISHERS * EACH;
    let first = datas(&mut clients[0], "seq", total).await;
    for p in 0..PUBLISHERS {
        let own: Vec<&String> = first
            .iter()
            .filter(|d| d.starts_with(&format!("{p}:")))
            .collect();
        let expected: Vec<String> = (0..EACH).map(|i| format!("{p}:{i}")).collect();
        assert_eq!(
            own,
            expected.iter().collect::<Vec<_>>(),
            "publisher {p}'s own order"
        );
    }
    for (i, client) in clients.iter_mut().enumerate().skip(1) {
        let got = datas(client, "seq", total).await;
        assert_eq!(
            got,
            first,
            "subscriber {i} (node {}) saw another order",
            i / PER_NODE
        );
    }
    assert_all_silent(&mut clients.iter_mut().collect::<Vec<_>>()).await;
}

async fn client_events_keep_their_order_on_the_other_node(backend: Backend) {
    const EVENTS: usize = 100;
    let chat = "private-chat";
    let options = Options {
        client_events_per_second: Some(1000),
        ..Options::default()
    };
    let cluster = Cluster::start(backend, 2, options).await;
    let mut clients = subscribers(&cluster, chat).await;
    let mut sender = cluster.node(0).connect().await;
    sender.subscribe_private(chat).await;
    cluster
        .await_subscriptions(chat, 2 * PER_NODE as u64 + 1)
        .await;
    for i in 0..EVENTS {
        let event = json!({"event": "client-seq", "channel": chat, "data": {"i": i}});
        sender.send_json(&event).await;
    }
    let expected: Vec<String> = (0..EVENTS).map(|i| json!({"i": i}).to_string()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        let got = datas(client, "client-seq", EVENTS).await;
        assert_eq!(got, expected, "subscriber {i} (node {})", i / PER_NODE);
    }
    assert_all_silent(&mut [&mut sender]).await;
}
