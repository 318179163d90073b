//! `client-*` events (reference §2.5, §10.10): relayed to the others, never echoed, only where allowed.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::support::{config, Client, TestApp, TestServer, MAIN, QUIET};

const CHAT: &str = "private-chat";

async fn pair(server: &TestServer, app: TestApp, channel: &str) -> (Client, Client) {
    let mut a = server.client(app).await;
    let mut b = server.client(app).await;
    if channel.starts_with("private-") {
        a.subscribe_private(channel).await;
        b.subscribe_private(channel).await;
    } else {
        a.subscribe_public(channel).await;
        b.subscribe_public(channel).await;
    }
    (a, b)
}

fn event(name: &str, channel: &str, data: Value) -> Value {
    json!({"event": name, "channel": channel, "data": data})
}

#[tokio::test]
async fn relayed_to_others_and_never_echoed() {
    let server = TestServer::spawn(config()).await;
    let (mut sender, mut other) = pair(&server, MAIN, CHAT).await;
    let typing = event("client-typing", CHAT, json!({"user": "alice"}));
    sender.send_json(&typing).await;
    assert_eq!(
        other.recv_json().await,
        typing,
        "object data stays an object"
    );
    let text = event("client-note", CHAT, json!("plain text"));
    sender.send_json(&text).await;
    assert_eq!(other.recv_json().await, text, "string data stays a string");
    sender.assert_silent().await;
}

#[tokio::test]
async fn presence_adds_the_trusted_user_id() {
    let server = TestServer::spawn(config()).await;
    let room = "presence-chat";
    let mut alice = server.connect().await;
    alice
        .subscribe_presence(room, json!("1"), json!({"name": "Alice"}))
        .await;
    let mut bob = server.connect().await;
    bob.subscribe_presence(room, json!(2), json!({"name": "Bob"}))
        .await;
    alice
        .expect_member_event("pusher_internal:member_added", room)
        .await;
    let mut forged = event("client-typing", room, json!({"x": 1}));
    forged["user_id"] = json!("evil");
    alice.send_json(&forged).await;
    let mut expected = event("client-typing", room, json!({"x": 1}));
    expected["user_id"] = json!("1");
    assert_eq!(bob.recv_json().await, expected);
    bob.send_json(&event("client-typing", room, json!({})))
        .await;
    let from_bob = alice.recv_json().await;
    assert_eq!(
        from_bob["user_id"], "2",
        "numeric user ids are sent as strings"
    );
    alice.assert_silent().await;
}

#[tokio::test]
async fn rejected_on_public_channels() {
    let server = TestServer::spawn(config()).await;
    let (mut sender, mut other) = pair(&server, MAIN, "news").await;
    sender
        .send_json(&event("client-x", "news", json!({})))
        .await;
    sender.expect_error(None).await;
    other.assert_silent().await;
    sender.ping().await;
}

#[tokio::test]
async fn rejected_when_not_subscribed() {
    let server = TestServer::spawn(config()).await;
    let mut outsider = server.connect().await;
    let mut member = server.connect().await;
    member.subscribe_private(CHAT).await;
    outsider
        .send_json(&event("client-x", CHAT, json!({})))
        .await;
    outsider.expect_error(None).await;
    member.assert_silent().await;
    outsider.ping().await;
}

#[tokio::test]
async fn rejected_when_the_app_has_client_events_off() {
    let server = TestServer::spawn(config()).await;
    let (mut sender, mut other) = pair(&server, QUIET, CHAT).await;
    sender.send_json(&event("client-x", CHAT, json!({}))).await;
    sender.expect_error(None).await;
    other.assert_silent().await;
    sender.ping().await;
}

#[tokio::test]
async fn eleventh_event_in_a_second_is_rate_limited_with_4301() {
    let server = TestServer::spawn(config()).await;
    let (mut sender, mut other) = pair(&server, MAIN, CHAT).await;
    for n in 0..11 {
        sender
            .send_json(&event("client-n", CHAT, json!({"n": n})))
            .await;
    }
    for n in 0..10 {
        assert_eq!(
            other.recv_json().await,
            event("client-n", CHAT, json!({"n": n}))
        );
    }
    other.assert_silent().await;
    sender.expect_error(Some(4301)).await;
    sender.ping().await;
    let later = until_accepted(&mut sender).await;
    assert_eq!(
        other.recv_json().await,
        later,
        "the first event accepted again, and none refused, reaches the other subscriber"
    );
    sender.assert_silent().await;
}

/// Sends `client-n` events `later-0`, `later-1`, … until one is accepted, which happens when the
/// rate window ends (about a second after its first event); every one sent before must be refused
/// with 4301. An event is accepted when the pong of a ping sent after it comes with no error
/// before it. Returns the accepted event.
async fn until_accepted(sender: &mut Client) -> Value {
    /// Between attempts, so the server is not flooded while the window runs out.
    const EVERY: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + Duration::from_secs(3);
    for k in 0.. {
        let later = event("client-n", CHAT, json!({"n": format!("later-{k}")}));
        sender.send_json(&later).await;
        sender
            .send_json(&json!({"event": "pusher:ping", "data": {}}))
            .await;
        let answer = sender.recv_json().await;
        if answer["event"] == "pusher:pong" {
            return later;
        }
        assert_eq!(answer["event"], "pusher:error", "{answer}");
        assert_eq!(answer["data"]["code"], 4301, "{answer}");
        sender.expect_event("pusher:pong").await;
        assert!(
            Instant::now() < deadline,
            "client events still refused 3 s after the rate was reached"
        );
        tokio::time::sleep(EVERY).await;
    }
    unreachable!("the loop returns or panics")
}
