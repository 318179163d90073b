//! Laravel's `redis` broadcaster on a cluster: every node subscribes to Laravel's Redis and delivers
//! to its own clients only, so each subscriber gets each event exactly once, `->toOthers()`
//! exclusion included, whichever broker links the nodes.

use serde_json::json;

use crate::support::{assert_all_silent, Backend, Broker, Cluster, Options};

both_brokers!(laravel_events_reach_each_subscriber_once);

const PREFIX: &str = "laravel_database_";

async fn laravel_events_reach_each_subscriber_once(backend: Backend) {
    let laravel = Broker::redis().await;
    let options = Options {
        ingest: Some((laravel.url(), PREFIX.to_owned())),
        ..Options::default()
    };
    let cluster = Cluster::start(backend, 2, options).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let mut a = n1.connect().await;
    let mut b = n2.connect().await;
    let mut c = n2.connect().await;
    for client in [&mut a, &mut b, &mut c] {
        client.subscribe_public("orders").await;
    }
    laravel
        .await_subscribers(&format!("{PREFIX}probe"), 2)
        .await;

    let payload = json!({"event": "App\\Events\\Shipped", "data": {"id": 1}, "socket": null});
    let got = laravel
        .publish(&format!("{PREFIX}orders"), &payload.to_string())
        .await
        .unwrap();
    assert_eq!(got, 2, "both nodes are subscribed");
    let want = json!({"event": "App\\Events\\Shipped", "channel": "orders", "data": "{\"id\":1}"});
    for client in [&mut a, &mut b, &mut c] {
        assert_eq!(client.recv_json().await, want);
    }
    assert_all_silent(&mut [&mut a, &mut b, &mut c]).await;

    // `->toOthers()` from a node-2 socket: the other two get it, once.
    let socket = c.socket_id.clone();
    let data = json!({"id": 2, "socket": socket});
    let payload = json!({"event": "App\\Events\\Shipped", "data": data, "socket": socket});
    laravel
        .publish(&format!("{PREFIX}orders"), &payload.to_string())
        .await
        .unwrap();
    let want =
        json!({"event": "App\\Events\\Shipped", "channel": "orders", "data": data.to_string()});
    assert_eq!(a.recv_json().await, want);
    assert_eq!(b.recv_json().await, want);
    assert_all_silent(&mut [&mut a, &mut b, &mut c]).await;
}
