//! Recovery on private and presence channels, against a Laravel-like auth endpoint (axum on port
//! 0) that counts its calls: the channels come back without a second auth call, and a member whose
//! only connection waits in its window stays listed — in the HTTP API and for Pusher clients — until
//! it returns or the window ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use serde_json::{json, Value};

use super::recovery::{args, connect_with, drop_transport, nothing_more, offset, recovery_config};
use super::{next_packet, send, Ws};
use crate::support::{Client, TestServer};

const ROOM: &str = "presence-room";

/// An auth endpoint allowing every channel, as user 7 on presence channels; and its call count.
async fn auth_endpoint() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new().route(
        "/broadcasting/auth",
        post(move |body: String| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if body.contains("presence-") {
                    axum::Json(
                        json!({"channel_data": {"user_id": 7, "user_info": {"name": "Sio"}}}),
                    )
                } else {
                    axum::Json(json!(true))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), calls)
}

/// A server whose Socket.IO app authorizes at a fresh [`auth_endpoint`], with a `window_ms`
/// recovery window; and the endpoint's call count.
async fn server(window_ms: u64) -> (TestServer, Arc<AtomicUsize>) {
    let (host, calls) = auth_endpoint().await;
    let mut config = recovery_config(window_ms, 100);
    for app in &mut config.apps {
        if let Some(sio) = app.socketio.as_mut() {
            sio.auth_host = Some(host.clone());
        }
    }
    (TestServer::spawn(config).await, calls)
}

/// A Pusher client in `presence-room` as user 1.
async fn pusher_member(server: &TestServer) -> Client {
    let mut client = server.connect().await;
    client
        .subscribe_presence(ROOM, json!("1"), json!({"name": "Pusher"}))
        .await;
    client
}

/// A Socket.IO socket in `private-orders` and `presence-room` (as user 7); it and its answer.
async fn sio_member(server: &TestServer, pusher: &mut Client) -> (Ws, Value) {
    let (mut ws, answer) = connect_with(server, "").await;
    send(&mut ws, r#"42["subscribe",{"channel":"private-orders"}]"#).await;
    send(
        &mut ws,
        &format!(r#"42["subscribe",{{"channel":"{ROOM}"}}]"#),
    )
    .await;
    let subscribed = next_packet(&mut ws).await;
    assert_eq!(args(&subscribed)[0], "presence:subscribed", "{subscribed}");
    let added = pusher
        .expect_member_event("pusher_internal:member_added", ROOM)
        .await;
    assert_eq!(added["user_id"], "7");
    (ws, answer)
}

async fn user_ids(server: &TestServer) -> Vec<Value> {
    let users = server
        .api()
        .get_ok(&format!("/channels/{ROOM}/users"), &[])
        .await;
    let mut ids: Vec<Value> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].clone())
        .collect();
    ids.sort_by_key(ToString::to_string);
    ids
}

#[tokio::test]
async fn private_and_presence_channels_recover_without_auth_and_the_member_stays() {
    let (server, calls) = server(120_000).await;
    let mut pusher = pusher_member(&server).await;
    let (mut ws, old) = sio_member(&server, &mut pusher).await;
    server.api().publish("private-orders", "seen", "0").await;
    let seen = offset(&next_packet(&mut ws).await);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    drop_transport(ws).await;

    server.api().publish("private-orders", "missed", "1").await;
    assert_eq!(
        user_ids(&server).await,
        [json!("1"), json!("7")],
        "still listed"
    );
    pusher.assert_silent().await; // no member_removed

    let claim = json!({"pid": old["pid"], "offset": seen}).to_string();
    let (mut ws, answer) = connect_with(&server, &claim).await;
    assert_eq!(answer["sid"], old["sid"]);
    let missed = next_packet(&mut ws).await;
    assert_eq!(
        args(&missed)[..3],
        [json!("missed"), json!("private-orders"), json!(1)]
    );
    // Echo subscribes again: no auth call, no presence:subscribed, no leave or join.
    send(&mut ws, r#"42["subscribe",{"channel":"private-orders"}]"#).await;
    send(
        &mut ws,
        &format!(r#"42["subscribe",{{"channel":"{ROOM}"}}]"#),
    )
    .await;
    nothing_more(&mut ws, "encrypted-barrier").await; // refused without asking the app
    assert_eq!(calls.load(Ordering::SeqCst), 2, "no second auth call");
    pusher.assert_silent().await;
    server.api().publish(ROOM, "live", "2").await;
    let live = next_packet(&mut ws).await;
    assert_eq!(args(&live)[..3], [json!("live"), json!(ROOM), json!(2)]);
}

#[tokio::test]
async fn a_member_away_past_the_window_leaves() {
    let (server, _) = server(400).await;
    let mut pusher = pusher_member(&server).await;
    let (ws, _) = sio_member(&server, &mut pusher).await;
    drop_transport(ws).await;
    assert_eq!(user_ids(&server).await, [json!("1"), json!("7")]);
    let removed = tokio::time::timeout(
        Duration::from_secs(5),
        pusher.expect_member_event("pusher_internal:member_removed", ROOM),
    )
    .await
    .expect("member_removed once the window ends");
    assert_eq!(removed["user_id"], "7");
    assert_eq!(user_ids(&server).await, [json!("1")]);
}
