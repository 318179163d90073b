//! What a misbehaving client gets: a `pusher:error` for frames it may not send, a closed connection
//! for frames the WebSocket layer cannot take — and never any harm to other clients.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{config, Api, Client, Outcome, TestServer};

#[tokio::test]
async fn frames_a_client_may_not_send_get_pusher_error_and_the_connection_stays_usable() {
    let server = TestServer::spawn(config()).await;
    let mut observer = server.connect().await;
    observer
        .subscribe_presence("presence-room", json!("1"), json!({"name": "Alice"}))
        .await;
    let mut client = server.connect().await;
    client
        .subscribe_presence("presence-room", json!("2"), json!({"name": "Bob"}))
        .await;
    observer
        .expect_member_event("pusher_internal:member_added", "presence-room")
        .await;
    let forged = r#"{"event":"pusher_internal:member_added","channel":"presence-room","data":"{\"user_id\":\"666\"}"}"#;
    for frame in [
        "{not json",
        "[1,2,3]",
        r#""a string""#,
        r#"{"data":{}}"#,
        r#"{"event":"pusher:foo","data":{}}"#,
        forged,
    ] {
        let message = client.expect_error_after(frame).await;
        assert!(!message.is_empty(), "{frame}");
        client.ping().await;
    }
    observer.assert_silent().await;
}

/// Two clients on `news`: the one to misbehave, and a bystander.
async fn victim_and_bystander(server: &TestServer) -> (Client, Client) {
    let mut victim = server.connect().await;
    victim.subscribe_public("news").await;
    let mut bystander = server.connect().await;
    bystander.subscribe_public("news").await;
    (victim, bystander)
}

/// The victim's connection must be closed with the RFC 6455 `code`; the bystander keeps working.
async fn closed_while_bystander_survives(
    mut victim: Client,
    mut bystander: Client,
    api: &Api,
    code: u16,
) {
    let (texts, end) = victim.read_until_close(Duration::from_secs(3)).await;
    match end {
        Outcome::Close(Some((closed, reason))) => {
            assert_eq!(closed, code, "close code (reason {reason:?})");
            assert!(reason.len() <= 123, "{reason:?}");
        }
        other => panic!("expected close {code}, got {other:?} after {texts} text frames"),
    }
    api.publish("news", "after", "still here").await;
    assert_eq!(
        bystander.recv_json().await,
        json!({"event": "after", "channel": "news", "data": "still here"})
    );
    bystander.ping().await;
}

#[tokio::test]
async fn invalid_utf8_text_frame_closes_only_that_connection() {
    let server = TestServer::spawn(config()).await;
    let (mut victim, bystander) = victim_and_bystander(&server).await;
    let bad = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    victim.send_message(Message::Frame(bad)).await;
    closed_while_bystander_survives(victim, bystander, &server.api(), 1007).await;
}

#[tokio::test]
async fn frame_over_max_message_bytes_closes_only_that_connection() {
    let mut config = config();
    config.server.max_message_bytes = 1024;
    let server = TestServer::spawn(config).await;
    let (mut victim, bystander) = victim_and_bystander(&server).await;
    let big = json!({"event": "pusher:ping", "data": {"pad": "x".repeat(2000)}});
    victim.send_json(&big).await;
    closed_while_bystander_survives(victim, bystander, &server.api(), 1009).await;
}

#[tokio::test]
async fn bad_channel_names_get_a_channel_scoped_subscription_error() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let too_long = "a".repeat(201);
    for name in [
        "",
        "has space",
        "#not-allowed",
        "caffè",
        "a/b",
        too_long.as_str(),
    ] {
        client.send_subscribe(name, Some(""), None).await;
        let frame = client.expect_event("pusher:subscription_error").await;
        assert_eq!(frame["channel"], name, "{frame}");
        assert!(frame["data"]["type"].is_string(), "{frame}");
        assert!(frame["data"]["status"].is_u64(), "{frame}");
        client.expect_no_success_then_pong().await;
    }
    client.subscribe_public(&"a".repeat(200)).await;
}
