//! `pusher_internal:subscription_count` (reference §2.3): for apps that turn it on, sent to a
//! non-presence channel's subscribers whenever its count changes.

use serde_json::json;

use crate::support::{config, config_with, Client, TestServer};

async fn counting_server() -> TestServer {
    TestServer::spawn(config_with(|app| app.subscription_count = true)).await
}

/// The next frame must be the exact `subscription_count` frame for `n` on `channel`.
async fn expect_count(client: &mut Client, channel: &str, n: usize) {
    let data = json!({"subscription_count": n}).to_string();
    assert_eq!(
        client.recv_json().await,
        json!({"event": "pusher_internal:subscription_count", "channel": channel, "data": data})
    );
}

async fn subscribe(client: &mut Client, channel: &str) {
    if channel.starts_with("private-") {
        client.subscribe_private(channel).await;
    } else {
        client.subscribe_public(channel).await;
    }
}

#[tokio::test]
async fn every_join_and_leave_is_counted_to_all_subscribers() {
    let server = counting_server().await;
    for channel in ["news", "private-news"] {
        let mut a = server.connect().await;
        subscribe(&mut a, channel).await;
        expect_count(&mut a, channel, 1).await;
        let mut b = server.connect().await;
        subscribe(&mut b, channel).await;
        expect_count(&mut b, channel, 2).await;
        expect_count(&mut a, channel, 2).await;
        b.unsubscribe(channel).await;
        expect_count(&mut a, channel, 1).await;
        b.assert_silent().await;
        let mut c = server.connect().await;
        subscribe(&mut c, channel).await;
        expect_count(&mut c, channel, 2).await;
        expect_count(&mut a, channel, 2).await;
        drop(c);
        expect_count(&mut a, channel, 1).await;
        // Re-subscribing changes nothing, so nothing is sent.
        subscribe(&mut a, channel).await;
        a.assert_silent().await;
    }
}

#[tokio::test]
async fn presence_channels_get_no_subscription_count() {
    let server = counting_server().await;
    let room = "presence-room";
    let mut a = server.connect().await;
    a.subscribe_presence(room, json!("1"), json!({})).await;
    a.assert_silent().await;
    let mut b = server.connect().await;
    b.subscribe_presence(room, json!("2"), json!({})).await;
    a.expect_member_event("pusher_internal:member_added", room)
        .await;
    a.assert_silent().await;
    b.assert_silent().await;
}

#[tokio::test]
async fn nothing_is_sent_when_the_app_has_it_off() {
    let server = TestServer::spawn(config()).await;
    let mut a = server.connect().await;
    a.subscribe_public("news").await;
    let mut b = server.connect().await;
    b.subscribe_public("news").await;
    b.unsubscribe("news").await;
    a.assert_silent().await;
    b.assert_silent().await;
}
