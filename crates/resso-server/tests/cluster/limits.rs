//! Cluster-wide connection limits and `terminate_connections` reaching every node.

use std::time::Duration;

use serde_json::json;

use crate::support::{Backend, Client, Cluster, Options, MAIN};

both_brokers!(
    max_connections_counts_every_node,
    terminate_reaches_other_nodes
);

async fn max_connections_counts_every_node(backend: Backend) {
    let options = Options {
        max_connections: Some(3),
        ..Options::default()
    };
    let cluster = Cluster::start(backend, 2, options).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    // Each wait: until every node's count (its own plus the others' heartbeats) has caught up.
    let first = n1.connect().await;
    cluster.await_connections(1).await;
    let second = n2.connect().await;
    cluster.await_connections(2).await;
    let mut third = n1.connect().await;
    third.ping().await;
    cluster.await_connections(3).await;

    for (node, name) in [(n2, "node 2"), (n1, "node 1")] {
        let mut fourth = Client::open_as(&node.ws_url(MAIN.key), MAIN).await;
        match tokio::time::timeout(Duration::from_secs(2), fourth.expect_refusal(4004)).await {
            Ok(_) => {}
            Err(_) => panic!("a fourth connection on {name} was not refused with 4004"),
        }
    }

    // A connection closing anywhere frees a slot everywhere.
    second.close().await;
    cluster.await_connections(2).await;
    let mut again = n1.connect().await;
    again.ping().await;
    drop(first);
}

async fn terminate_reaches_other_nodes(backend: Backend) {
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let alice = r#"{"id":"1","name":"Alice"}"#;
    let mut alice_far = n2.connect().await;
    alice_far.signin(alice).await;
    let mut alice_near = n1.connect().await;
    alice_near.signin(alice).await;
    let mut bob = n2.connect().await;
    bob.signin(r#"{"id":"2","name":"Bob"}"#).await;
    // A presence member with user_id 1 that never signed in is not "user 1".
    let mut member = n2.connect().await;
    member.join("presence-room", "1", "Alice").await;

    let answer = n1
        .api()
        .post("/users/1/terminate_connections", &json!({}))
        .await;
    assert_eq!(answer, (200, json!({})));
    alice_far.expect_refusal(4009).await;
    alice_near.expect_refusal(4009).await;
    bob.ping().await;
    member.ping().await;
}
