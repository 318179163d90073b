//! Socket.IO connection state recovery across nodes: a socket.io-client 4 client whose session
//! waits on node 1 reconnects to node 2 and recovers there — the same socket and session ids
//! (socket.io-client's `recovered` is its session id coming back unchanged), its public and
//! presence channels, every event it missed on either node exactly once and in order, and a
//! presence membership nobody sees leave. A session nobody holds (forged, or on a node that is
//! gone) gives a fresh session.

use axum::routing::post;
use serde_json::{json, Value};

use crate::support::{assert_all_silent, Backend, Client, Cluster, Node, Options, SioClient};

both_brokers!(
    a_session_recovers_on_another_node,
    a_session_nobody_holds_is_fresh
);

const ROOM: &str = "presence-room";

/// An auth endpoint allowing every channel, as user 7 on presence channels; its base URL.
async fn auth_endpoint() -> String {
    let app = axum::Router::new().route(
        "/broadcasting/auth",
        post(|body: String| async move {
            if body.contains("presence-") {
                axum::Json(json!({"channel_data": {"user_id": 7, "user_info": {"name": "Sio"}}}))
            } else {
                axum::Json(json!(true))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A cluster of two whose Socket.IO app authorizes at [`auth_endpoint`].
async fn cluster(backend: Backend) -> Cluster {
    let options = Options {
        socketio_auth: Some(auth_endpoint().await),
        ..Options::default()
    };
    Cluster::start(backend, 2, options).await
}

/// A Pusher client in `news` and in `ROOM` as `user`.
async fn pusher_member(node: &Node, user: &str) -> Client {
    let mut client = node.connect().await;
    client.subscribe_public("news").await;
    client
        .subscribe_presence(ROOM, json!(user), json!({"name": user}))
        .await;
    client
}

/// A Socket.IO client in `news` and in `ROOM` (as user 7), seen joining by `members`.
async fn sio_member(node: &Node, members: &mut [&mut Client]) -> SioClient {
    let mut client = SioClient::connect(node.addr).await;
    client.subscribe("news").await;
    client.subscribe(ROOM).await;
    let subscribed = client.recv_args().await;
    assert_eq!(subscribed[0], "presence:subscribed", "{subscribed:?}");
    for member in members {
        let added = member
            .expect_member_event("pusher_internal:member_added", ROOM)
            .await;
        assert_eq!(added["user_id"], "7");
    }
    client
}

/// Publishes `data` as event `e` on `channel` through `node`, and waits until each of `members`
/// got it (one on the node holding the session first: the order there is the order of the calls).
async fn publish_seen(node: &Node, channel: &str, data: &str, members: &mut [&mut Client]) {
    node.api().publish(channel, "e", data, None).await;
    for member in members {
        let frame = member.recv_json().await;
        let got = (&frame["event"], &frame["channel"], &frame["data"]);
        assert_eq!(got, (&json!("e"), &json!(channel), &json!(data)));
    }
}

fn event(channel: &str, data: &str) -> Value {
    json!(["e", channel, data])
}

async fn a_session_recovers_on_another_node(backend: Backend) {
    let cluster = cluster(backend).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let mut watcher = pusher_member(n2, "1").await;
    let mut observer = pusher_member(n1, "2").await;
    let added = watcher
        .expect_member_event("pusher_internal:member_added", ROOM)
        .await;
    assert_eq!(added["user_id"], "2");
    let mut client = sio_member(n1, &mut [&mut watcher, &mut observer]).await;
    cluster.await_subscriptions("news", 3).await;
    publish_seen(n1, "news", "seen", &mut [&mut observer, &mut watcher]).await;
    assert_eq!(client.recv_event().await, event("news", "seen"));
    let claim = json!({"pid": client.pid, "offset": client.offset}).to_string();
    let (sid, pid) = (client.socket_id.clone(), client.pid.clone());
    client.cut().await;

    // Missed on both nodes, on both channels, in node 1's order.
    let missed = [
        (n1, "news", "m1"),
        (n2, ROOM, "m2"),
        (n2, "news", "m3"),
        (n1, ROOM, "m4"),
    ];
    for (node, channel, data) in missed {
        publish_seen(node, channel, data, &mut [&mut observer, &mut watcher]).await;
    }

    let mut client = SioClient::connect_with(n2.addr, &claim).await;
    assert_eq!((&client.socket_id, &client.pid), (&sid, &pid), "recovered");
    for (_, channel, data) in missed {
        assert_eq!(client.recv_event().await, event(channel, data));
    }
    client.assert_silent().await; // each once
    cluster.await_users(ROOM, &["1", "2", "7"]).await;

    // Cut again right after the replay (its offset is node 2's now): recovered on node 2.
    let claim = json!({"pid": client.pid, "offset": client.offset}).to_string();
    client.cut().await;
    publish_seen(n1, ROOM, "m5", &mut [&mut observer, &mut watcher]).await;
    let mut client = SioClient::connect_with(n2.addr, &claim).await;
    assert_eq!(
        (&client.socket_id, &client.pid),
        (&sid, &pid),
        "recovered again"
    );
    assert_eq!(client.recv_event().await, event(ROOM, "m5"));
    for (node, data) in [(n1, "next1"), (n2, "next2")] {
        publish_seen(node, "news", data, &mut [&mut observer, &mut watcher]).await;
        assert_eq!(client.recv_event().await, event("news", data));
    }
    client.assert_silent().await;
    // Every frame the members got was checked: none was user 7 leaving (or joining again).
    assert_all_silent(&mut [&mut watcher, &mut observer]).await;
    cluster.await_users(ROOM, &["1", "2", "7"]).await;
}

async fn a_session_nobody_holds_is_fresh(backend: Backend) {
    let mut cluster = cluster(backend).await;
    let (n1, n2) = (cluster.node(0), cluster.node(1));
    let forged = json!({"pid": "0".repeat(32), "offset": "1"}).to_string();
    let mut client = SioClient::connect_with(n2.addr, &forged).await;
    assert_ne!(client.pid, "0".repeat(32), "a fresh session");
    client.subscribe("news").await;

    let mut gone = SioClient::connect(n1.addr).await;
    gone.subscribe("news").await;
    cluster.await_subscriptions("news", 2).await;
    let claim = json!({"pid": gone.pid, "offset": null}).to_string();
    let (sid, pid) = (gone.socket_id.clone(), gone.pid.clone());
    gone.cut().await;
    cluster.node_mut(0).kill();

    let n2 = cluster.node(1);
    let mut back = SioClient::connect_with(n2.addr, &claim).await;
    assert_ne!(
        (&back.socket_id, &back.pid),
        (&sid, &pid),
        "a fresh session"
    );
    back.subscribe("news").await;
    cluster.await_subscriptions("news", 2).await;
    n2.api().publish("news", "e", "next", None).await;
    assert_eq!(back.recv_event().await, event("news", "next"));
    assert_eq!(client.recv_event().await, event("news", "next"));
    back.assert_silent().await;
}
