//! Subscribing to public and private channels, failed auth, and unsubscribing (reference §2.3–2.4).

use serde_json::json;

use crate::support::{config, TestServer};

#[tokio::test]
async fn public_subscribe_succeeds_with_string_data() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client
        .send_json(
            &json!({"event": "pusher:subscribe", "data": {"auth": "", "channel": "my-channel"}}),
        )
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"event": "pusher_internal:subscription_succeeded", "channel": "my-channel", "data": "{}"})
    );
}

#[tokio::test]
async fn private_subscribe_with_good_auth_succeeds() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let auth = client.auth("private-orders.1", None);
    client
        .send_json(&json!({"event": "pusher:subscribe", "data": {"auth": auth, "channel": "private-orders.1"}}))
        .await;
    assert_eq!(
        client.recv_json().await,
        json!({"event": "pusher_internal:subscription_succeeded", "channel": "private-orders.1", "data": "{}"})
    );
    let api = server.api();
    let info = api
        .channel_info("private-orders.1", "subscription_count")
        .await;
    assert_eq!(info, json!({"occupied": true, "subscription_count": 1}));
}

#[tokio::test]
async fn bad_auth_gets_auth_error_and_no_subscription() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let other = server.connect().await;
    let channel = "private-orders.1";
    let good = client.auth(channel, None);
    let signature = good.split_once(':').expect("key:signature").1.to_owned();
    let cases = [
        ("bad signature", Some(format!("app-key:{}", "0".repeat(64)))),
        ("wrong key", Some(format!("other-key:{signature}"))),
        (
            "another socket's signature",
            Some(other.auth(channel, None)),
        ),
        (
            "another channel's signature",
            Some(client.auth("private-orders.2", None)),
        ),
        ("no colon", Some(signature.clone())),
        ("empty", Some(String::new())),
        ("missing", None),
    ];
    for (case, auth) in cases {
        client.send_subscribe(channel, auth.as_deref(), None).await;
        let frame = client.expect_event("pusher:subscription_error").await;
        assert_eq!(frame["channel"], channel, "{case}: {frame}");
        assert_eq!(frame["data"]["type"], "AuthError", "{case}: {frame}");
        assert_eq!(frame["data"]["status"], 401, "{case}: {frame}");
        assert!(frame["data"]["error"].is_string(), "{case}: {frame}");
        client.expect_no_success_then_pong().await;
    }
    let api = server.api();
    assert_eq!(
        api.channel_info(channel, "").await,
        json!({"occupied": false})
    );
    api.publish(channel, "secret", "nope").await;
    client.assert_silent().await;
}

#[tokio::test]
async fn presence_with_bad_auth_gets_auth_error() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    let channel = "presence-room";
    let signed = r#"{"user_id":"1","user_info":{"name":"Alice"}}"#;
    let sent = r#"{"user_id":"2","user_info":{"name":"Alice"}}"#;
    let auth = client.auth(channel, Some(signed));
    client
        .send_subscribe(channel, Some(&auth), Some(sent))
        .await;
    let frame = client.expect_event("pusher:subscription_error").await;
    assert_eq!(frame["channel"], channel);
    assert_eq!(frame["data"]["type"], "AuthError");
    assert_eq!(frame["data"]["status"], 401);
    client.expect_no_success_then_pong().await;
    let (status, users) = server.api().get("/channels/presence-room/users", &[]).await;
    assert_eq!((status, users), (200, json!({"users": []})));
}

#[tokio::test]
async fn public_resubscribe_is_idempotent() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client.subscribe_public("news").await;
    client.subscribe_public("news").await;
    let api = server.api();
    let info = api.channel_info("news", "subscription_count").await;
    assert_eq!(info, json!({"occupied": true, "subscription_count": 1}));
    api.publish("news", "once", "x").await;
    client.expect_event("once").await;
    client.assert_silent().await;
}

#[tokio::test]
async fn unsubscribe_sends_nothing_and_stops_delivery() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let mut client = server.connect().await;
    client.subscribe_private("private-orders.1").await;
    api.publish("private-orders.1", "before", "1").await;
    assert_eq!(
        client.recv_json().await,
        json!({"event": "before", "channel": "private-orders.1", "data": "1"})
    );
    client.unsubscribe("private-orders.1").await;
    client.assert_silent().await;
    api.publish("private-orders.1", "after", "2").await;
    client.assert_silent().await;
    let info = api.channel_info("private-orders.1", "").await;
    assert_eq!(info, json!({"occupied": false}));
    client.unsubscribe("never-subscribed").await;
    client.ping().await;
}
