//! Socket.IO clients in a cluster: they share channels with Pusher clients on every node, HTTP API
//! exclusion holds for them across nodes, and Laravel's `redis` broadcaster reaches each of them,
//! on every node, exactly once. (Recovery across nodes: `recovery.rs`.)

use serde_json::json;

use crate::support::{assert_all_silent, Backend, Broker, Cluster, Options, SioClient};

both_brokers!(
    socketio_and_pusher_clients_share_events_across_nodes,
    laravel_events_reach_socketio_subscribers_once
);

async fn socketio_and_pusher_clients_share_events_across_nodes(backend: Backend) {
    let cluster = Cluster::start(backend, 2, Options::default()).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let mut pusher = n1.connect().await;
    pusher.subscribe_public("news").await;
    let mut near = SioClient::connect(n1.addr).await;
    let mut far = SioClient::connect(n2.addr).await;
    near.subscribe("news").await;
    far.subscribe("news").await;
    cluster.await_subscriptions("news", 3).await;

    n1.api()
        .publish("news", "App\\Events\\Posted", r#"{"id":1}"#, None)
        .await;
    let want = json!(["App\\Events\\Posted", "news", {"id": 1}]);
    assert_eq!(near.recv_event().await, want);
    assert_eq!(far.recv_event().await, want, "relayed to the other node");
    let frame = pusher.recv_json().await;
    assert_eq!(
        (&frame["event"], &frame["data"]),
        (&json!("App\\Events\\Posted"), &json!(r#"{"id":1}"#))
    );

    // Node 2's API leaves out a node-1 Socket.IO socket, and only that one.
    let except = near.socket_id.clone();
    n2.api().publish("news", "e", "plain", Some(&except)).await;
    assert_eq!(far.recv_event().await, json!(["e", "news", "plain"]));
    assert_eq!(pusher.recv_json().await["data"], "plain");
    near.assert_silent().await;
    far.assert_silent().await;
    assert_all_silent(&mut [&mut pusher]).await;
}

const PREFIX: &str = "laravel_database_";

async fn laravel_events_reach_socketio_subscribers_once(backend: Backend) {
    let laravel = Broker::redis().await;
    let options = Options {
        ingest: Some((laravel.url(), PREFIX.to_owned())),
        ..Options::default()
    };
    let cluster = Cluster::start(backend, 2, options).await;
    let mut clients = Vec::new();
    for node in [0, 0, 1, 1] {
        let mut client = SioClient::connect(cluster.node(node).addr).await;
        client.subscribe("orders").await;
        clients.push(client);
    }
    cluster.await_subscriptions("orders", 4).await;
    laravel
        .await_subscribers(&format!("{PREFIX}probe"), 2)
        .await;

    let payload = json!({"event": "App\\Events\\Shipped", "data": {"id": 1}, "socket": null});
    let channel = format!("{PREFIX}orders");
    assert_eq!(
        laravel
            .publish(&channel, &payload.to_string())
            .await
            .unwrap(),
        2
    );
    // `->toOthers()` from the last socket (node 2).
    let socket = clients[3].socket_id.clone();
    let payload = json!({"event": "App\\Events\\Shipped", "data": {"id": 2}, "socket": socket});
    laravel
        .publish(&channel, &payload.to_string())
        .await
        .unwrap();

    let first = json!(["App\\Events\\Shipped", "orders", {"id": 1}]);
    let second = json!(["App\\Events\\Shipped", "orders", {"id": 2}]);
    for (i, client) in clients.iter_mut().enumerate() {
        assert_eq!(client.recv_event().await, first, "socket {i}");
        if i != 3 {
            assert_eq!(client.recv_event().await, second, "socket {i}");
        }
        client.assert_silent().await;
    }
}
