//! Cross-node delivery: HTTP API events and client events reach subscribers on every node exactly
//! once, `socket_id` exclusion holds on every node, and client events are never echoed.

use serde_json::{json, Value};

use crate::support::{assert_all_silent, Backend, Cluster, Options};

both_brokers!(
    http_events_reach_every_node_once,
    client_events_cross_nodes,
    a_broker_with_a_password
);

fn event(name: &str, channel: &str, data: Value) -> Value {
    json!({"event": name, "channel": channel, "data": data})
}

/// The credentials in the broker's URL are used (NATS: `nats://user:pass@host`).
async fn a_broker_with_a_password(backend: Backend) {
    let options = Options {
        broker_password: Some("s3cret"),
        ..Options::default()
    };
    let cluster = Cluster::start(backend, 2, options).await;
    let mut remote = cluster.node(1).connect().await;
    remote.subscribe_public("news").await;
    cluster
        .node(0)
        .api()
        .publish("news", "hello", "1", None)
        .await;
    assert_eq!(remote.recv_json().await, event("hello", "news", json!("1")));
}

async fn http_events_reach_every_node_once(backend: Backend) {
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let mut local = n1.connect().await;
    let mut remote = n2.connect().await;
    let mut excluded = n2.connect().await;
    for client in [&mut local, &mut remote, &mut excluded] {
        client.subscribe_public("news").await;
    }

    n1.api().publish("news", "first", "1", None).await;
    let first = event("first", "news", json!("1"));
    for client in [&mut local, &mut remote, &mut excluded] {
        assert_eq!(client.recv_json().await, first, "published on node 1");
    }
    assert_all_silent(&mut [&mut local, &mut remote, &mut excluded]).await;

    // Excluding a node-2 socket from node 1's API holds on node 2, and only for that socket.
    let socket = excluded.socket_id.clone();
    n1.api().publish("news", "second", "2", Some(&socket)).await;
    let second = event("second", "news", json!("2"));
    assert_eq!(local.recv_json().await, second);
    assert_eq!(remote.recv_json().await, second);
    assert_all_silent(&mut [&mut local, &mut remote, &mut excluded]).await;

    // The other way round: node 2's API, a node-1 socket excluded.
    let socket = local.socket_id.clone();
    n2.api().publish("news", "third", "3", Some(&socket)).await;
    let third = event("third", "news", json!("3"));
    assert_eq!(remote.recv_json().await, third);
    assert_eq!(excluded.recv_json().await, third);
    assert_all_silent(&mut [&mut local, &mut remote, &mut excluded]).await;

    // Each node counts what crossed the broker: at least its own publishes out, the other's in.
    for node in [n1, n2] {
        let port = node.addr.port();
        let sent = format!(r#"cluster_messages_total{{port="{port}",direction="sent"}}"#);
        let sent = node.metric(&sent).await;
        let received = format!(r#"cluster_messages_total{{port="{port}",direction="received"}}"#);
        let received = node.metric(&received).await;
        assert!(
            sent >= 1.0 && received >= 1.0,
            "sent {sent}, received {received}"
        );
        let dropped = format!(r#"cluster_dropped_total{{port="{port}"}}"#);
        assert_eq!(node.metric(&dropped).await, 0.0);
    }
}

async fn client_events_cross_nodes(backend: Backend) {
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));

    let chat = "private-chat";
    let mut sender = n1.connect().await;
    let mut near = n1.connect().await;
    let mut far = n2.connect().await;
    for client in [&mut sender, &mut near, &mut far] {
        client.subscribe_private(chat).await;
    }
    let typing = event("client-typing", chat, json!({"user": "alice"}));
    sender.send_json(&typing).await;
    assert_eq!(near.recv_json().await, typing, "same node");
    assert_eq!(far.recv_json().await, typing, "other node");
    assert_all_silent(&mut [&mut sender, &mut near, &mut far]).await;

    // Presence: the sender's trusted user_id crosses nodes.
    let room = "presence-chat";
    let mut alice = n1.connect().await;
    alice.join(room, "1", "Alice").await;
    cluster.await_users(room, &["1"]).await;
    let mut bob = n2.connect().await;
    let presence = bob.join(room, "2", "Bob").await;
    assert_eq!(presence["count"], 2, "{presence}");
    let added = alice
        .expect_member("member_added", room, crate::support::RECV)
        .await;
    assert_eq!(added["user_id"], "2");

    let mut from_alice = event("client-wave", room, json!({"x": 1}));
    from_alice["user_id"] = json!("evil");
    alice.send_json(&from_alice).await;
    from_alice["user_id"] = json!("1");
    assert_eq!(bob.recv_json().await, from_alice, "user_id set by node 1");

    let mut from_bob = event("client-wave", room, json!("back"));
    bob.send_json(&from_bob).await;
    from_bob["user_id"] = json!("2");
    assert_eq!(alice.recv_json().await, from_bob, "user_id set by node 2");
    assert_all_silent(&mut [&mut alice, &mut bob, &mut sender, &mut far]).await;
}
