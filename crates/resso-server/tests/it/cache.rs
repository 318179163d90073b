//! Cache channels (reference §7, §5.6, §10.16): the last HTTP-published event replayed right after
//! `subscription_succeeded`, `pusher:cache_miss` otherwise, a TTL, and `GET /channels/{c}?info=cache`.

use serde_json::{json, Value};

use crate::support::{config, config_with, eventually, Client, TestServer};

const DATA: &str = r#"{"lat":1.5,"note":"caf\u00e9 \/ \"x\""}"#;

/// The next frame must be `pusher:cache_miss` on `channel` (data absent or `"{}"`).
async fn expect_miss(client: &mut Client, channel: &str) {
    let frame = client.expect_event("pusher:cache_miss").await;
    assert_eq!(frame["channel"], channel, "{frame}");
    assert!(
        frame
            .get("data")
            .is_none_or(|d| d == "{}" || d == &json!({})),
        "{frame}"
    );
}

/// The exact frame a subscriber of `channel` gets for an HTTP-published `event` with [`DATA`]:
/// `event`, `channel`, then `data` as the publisher's string.
fn event_frame(event: &str, channel: &str) -> String {
    let (event, channel, data) = (json!(event), json!(channel), json!(DATA));
    format!(r#"{{"event":{event},"channel":{channel},"data":{data}}}"#)
}

#[tokio::test]
async fn an_empty_cache_channel_answers_cache_miss_after_success() {
    let server = TestServer::spawn(config()).await;
    let mut client = server.connect().await;
    client.subscribe_public("cache-x").await;
    expect_miss(&mut client, "cache-x").await;
    client.assert_silent().await;
}

#[tokio::test]
async fn the_last_published_event_is_replayed_right_after_success() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let mut first = server.connect().await;
    first.subscribe_public("cache-x").await;
    expect_miss(&mut first, "cache-x").await;
    api.publish("cache-x", "old", "{}").await;
    api.publish("cache-x", "my-event", DATA).await;
    assert_eq!(first.recv_json().await["event"], "old");
    assert_eq!(first.recv_text().await, event_frame("my-event", "cache-x"));

    let mut late = server.connect().await;
    late.subscribe_public("cache-x").await;
    assert_eq!(late.recv_text().await, event_frame("my-event", "cache-x"));
    late.assert_silent().await;
    first.assert_silent().await;
    // batch_events caches too.
    let batch = json!({"batch": [{"name": "my-event", "channel": "cache-batch", "data": DATA}]});
    assert_eq!(api.post("/batch_events", &batch).await, (200, json!({})));
    let mut batched = server.connect().await;
    batched.subscribe_public("cache-batch").await;
    assert_eq!(
        batched.recv_text().await,
        event_frame("my-event", "cache-batch")
    );
    // Published with nobody subscribed, still cached.
    api.publish("cache-empty", "my-event", DATA).await;
    let mut newcomer = server.connect().await;
    newcomer.subscribe_public("cache-empty").await;
    assert_eq!(
        newcomer.recv_text().await,
        event_frame("my-event", "cache-empty")
    );
}

#[tokio::test]
async fn private_and_presence_cache_channels_need_auth() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    for channel in ["private-cache-x", "private-encrypted-cache-x"] {
        let mut client = server.connect().await;
        client.send_subscribe(channel, Some(""), None).await;
        let error = client.expect_subscription_error(channel).await;
        assert_eq!(error["status"], 401, "{error}");
        client.subscribe_private(channel).await;
        expect_miss(&mut client, channel).await;
        api.publish(channel, "my-event", DATA).await;
        assert_eq!(client.recv_text().await, event_frame("my-event", channel));
        let mut late = server.connect().await;
        late.subscribe_private(channel).await;
        assert_eq!(late.recv_text().await, event_frame("my-event", channel));
    }

    let channel = "presence-cache-x";
    let mut client = server.connect().await;
    let channel_data = r#"{"user_id":"1","user_info":{}}"#;
    let bad = client.auth("private-cache-x", None);
    client
        .send_subscribe(channel, Some(&bad), Some(channel_data))
        .await;
    client.expect_subscription_error(channel).await;
    let presence = client.subscribe_presence_raw(channel, channel_data).await;
    assert_eq!(presence["count"], 1);
    expect_miss(&mut client, channel).await;
    api.publish(channel, "my-event", DATA).await;
    assert_eq!(client.recv_text().await, event_frame("my-event", channel));
    let mut late = server.connect().await;
    late.subscribe_presence(channel, json!("2"), json!({}))
        .await;
    assert_eq!(late.recv_text().await, event_frame("my-event", channel));
}

#[tokio::test]
async fn client_events_are_not_cached() {
    let server = TestServer::spawn(config()).await;
    let channel = "private-cache-chat";
    let mut sender = server.connect().await;
    sender.subscribe_private(channel).await;
    expect_miss(&mut sender, channel).await;
    let mut other = server.connect().await;
    other.subscribe_private(channel).await;
    expect_miss(&mut other, channel).await;
    let whisper = json!({"event": "client-typing", "channel": channel, "data": {"on": true}});
    sender.send_json(&whisper).await;
    assert_eq!(other.recv_json().await, whisper);
    let mut late = server.connect().await;
    late.subscribe_private(channel).await;
    expect_miss(&mut late, channel).await;
    let (_, info) = server
        .api()
        .get(&format!("/channels/{channel}"), &[("info", "cache")])
        .await;
    assert_eq!(info["cache"], Value::Null, "{info}");
}

#[tokio::test]
async fn info_cache_reports_the_data_and_remaining_ttl() {
    let server = TestServer::spawn(config_with(|app| app.cache_ttl = 60)).await;
    let api = server.api();
    assert_eq!(
        api.channel_info("cache-x", "cache").await,
        json!({"occupied": false, "cache": null})
    );
    let mut client = server.connect().await;
    client.subscribe_public("cache-x").await;
    expect_miss(&mut client, "cache-x").await;
    assert_eq!(
        api.channel_info("cache-x", "cache").await,
        json!({"occupied": true, "cache": null})
    );
    api.publish("cache-x", "my-event", DATA).await;
    let info = api.channel_info("cache-x", "cache").await;
    assert_eq!(info["occupied"], true, "{info}");
    assert_eq!(info["cache"]["data"], DATA, "{info}");
    let ttl = info["cache"]["ttl"].as_u64().expect("ttl is a number");
    assert!((58..=60).contains(&ttl), "ttl {ttl} of 60: {info}");
    assert_eq!(
        info.as_object().map(|o| o.len()),
        Some(2),
        "only what was asked: {info}"
    );
    let cache = info["cache"].as_object().expect("cache is an object");
    assert_eq!(cache.len(), 2, "cache is {{data, ttl}}: {info}");
}

#[tokio::test]
async fn an_expired_entry_is_a_miss_again() {
    let server = TestServer::spawn(config_with(|app| app.cache_ttl = 1)).await;
    let api = server.api();
    api.publish("cache-x", "my-event", DATA).await;
    let mut fresh = server.connect().await;
    fresh.subscribe_public("cache-x").await;
    assert_eq!(fresh.recv_text().await, event_frame("my-event", "cache-x"));
    eventually("the cached event expires", || async {
        api.channel_info("cache-x", "cache").await["cache"].is_null()
    })
    .await;
    let mut late = server.connect().await;
    late.subscribe_public("cache-x").await;
    expect_miss(&mut late, "cache-x").await;
    assert_eq!(
        api.channel_info("cache-x", "cache").await,
        json!({"occupied": true, "cache": null})
    );
}
