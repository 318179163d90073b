//! The WebSocket handshake, admission checks and heartbeat (reference §1, §2.2, §10.6–8, §10.19).

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::support::{config, Client, Outcome, TestServer, DISABLED, MAIN, ORIGIN, QUOTA};

#[tokio::test]
async fn first_frame_is_connection_established_with_configured_activity_timeout() {
    let mut config = config();
    config.server.activity_timeout = 42;
    let server = TestServer::spawn(config).await;
    // `connect` asserts the frame shape: string data, `\d+.\d+` socket id, non-zero timeout.
    let first = server.connect().await;
    let second = server.connect().await;
    assert_eq!(first.activity_timeout, 42);
    assert_ne!(first.socket_id, second.socket_id, "socket ids are unique");
}

#[tokio::test]
async fn pusher_ping_gets_pusher_pong() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client
        .send_json(&json!({"event": "pusher:ping", "data": {}}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"event": "pusher:pong", "data": {}})
    );
    client.assert_silent().await;
}

#[tokio::test]
async fn websocket_ping_frame_gets_pong_frame() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client
        .send_message(Message::Ping(Bytes::from_static(b"are you there")))
        .await;
    match client.next_within(Duration::from_secs(2)).await {
        Outcome::Pong(payload) => assert_eq!(payload, b"are you there"),
        other => panic!("expected a Pong frame, got {other:?}"),
    }
    client.ping().await;
}

#[tokio::test]
async fn unknown_key_is_upgraded_then_refused_with_4001() {
    let server = TestServer::spawn(config()).await;
    let mut client = Client::open(&server.ws_url("no-such-key")).await;
    let reason = client.expect_refusal(4001).await;
    assert_eq!(reason, "Application does not exist");
}

#[tokio::test]
async fn protocol_parameter_is_checked() {
    let server = TestServer::spawn(config()).await;
    let url = |q: &str| format!("{}/app/{}{q}", server.ws_base(), MAIN.key);
    let mut old = Client::open(&url("?protocol=4&client=js")).await;
    old.expect_refusal(4007).await;
    let mut garbage = Client::open(&url("?protocol=abc")).await;
    garbage.expect_refusal(4006).await;
    let mut lenient = Client::connect(&url("")).await;
    lenient.ping().await;
    let mut five = Client::connect(&url("?protocol=5")).await;
    five.ping().await;
}

#[tokio::test]
async fn path_below_the_app_is_refused_with_4005() {
    let server = TestServer::spawn(config()).await;
    let url = format!("{}/app/{}/extra?protocol=7", server.ws_base(), MAIN.key);
    let mut client = Client::open(&url).await;
    client.expect_refusal(4005).await;
}

fn heartbeat_config() -> resso_server::config::Config {
    let mut config = config();
    config.server.activity_timeout = 1;
    config.server.pong_timeout = 1;
    config
}

#[tokio::test]
async fn silent_client_is_pinged_then_closed_with_4201() {
    let server = TestServer::spawn(heartbeat_config()).await;
    let mut client = server.connect().await;
    assert_eq!(client.activity_timeout, 1);
    let start = Instant::now();
    assert_eq!(
        client.recv_json().await,
        json!({"event": "pusher:ping", "data": {}})
    );
    assert!(
        start.elapsed() >= Duration::from_millis(800),
        "pinged too early"
    );
    client.expect_refusal(4201).await;
    assert!(
        start.elapsed() >= Duration::from_millis(1800),
        "closed too early"
    );
}

#[tokio::test]
async fn client_answering_pings_is_kept() {
    let server = TestServer::spawn(heartbeat_config()).await;
    let mut client = server.connect().await;
    let start = Instant::now();
    for _ in 0..3 {
        client.expect_event("pusher:ping").await;
        client
            .send_json(&json!({"event": "pusher:pong", "data": {}}))
            .await;
    }
    assert!(start.elapsed() >= Duration::from_millis(2500));
    client.ping().await;
}

#[tokio::test]
async fn app_over_connection_quota_refuses_with_4004() {
    let server = TestServer::spawn(config()).await;
    let mut first = server.client(QUOTA).await;
    let mut second = Client::open(&server.ws_url(QUOTA.key)).await;
    second.expect_refusal(4004).await;
    first.ping().await;
}

#[tokio::test]
async fn allowed_origins_are_enforced() {
    let server = TestServer::spawn(config()).await;
    let url = server.ws_url(ORIGIN.key);
    let mut foreign = Client::open_with_origin(&url, "https://evil.test").await;
    foreign.expect_refusal(4009).await;
    let mut listed = Client::open_with_origin(&url, "https://example.com").await;
    listed.established().await;
    listed.ping().await;
}

#[tokio::test]
async fn disabled_app_is_refused_with_4003() {
    let server = TestServer::spawn(config()).await;
    let mut client = Client::open(&server.ws_url(DISABLED.key)).await;
    client.expect_refusal(4003).await;
}
