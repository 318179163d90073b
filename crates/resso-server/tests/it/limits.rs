//! Per-app limits and rate limits (reference §3.4, §5.2): presence members and `user_info` size,
//! event data size, HTTP API requests per second, channel name length.

use serde_json::{json, Value};

use crate::support::{config_with, eventually, Client, TestServer};

const ROOM: &str = "presence-room";

#[tokio::test]
async fn a_full_presence_channel_refuses_new_users_but_not_new_connections() {
    let server = TestServer::spawn(config_with(|app| app.limits.presence_members = 2)).await;
    let mut one = server.connect().await;
    one.subscribe_presence(ROOM, json!("1"), json!({})).await;
    let mut two = server.connect().await;
    two.subscribe_presence(ROOM, json!("2"), json!({})).await;
    one.expect_member_event("pusher_internal:member_added", ROOM)
        .await;

    let mut three = server.connect().await;
    let data = json!({"user_id": "3", "user_info": {}}).to_string();
    let auth = three.auth(ROOM, Some(&data));
    three.send_subscribe(ROOM, Some(&auth), Some(&data)).await;
    let error = three.expect_subscription_error(ROOM).await;
    assert_eq!(error["type"], "LimitReached", "{error}");
    one.assert_silent().await;

    let mut one_again = server.connect().await;
    let presence = one_again
        .subscribe_presence(ROOM, json!("1"), json!({}))
        .await;
    assert_eq!(presence["count"], 2, "{presence}");
    one.assert_silent().await;

    drop(two);
    one.expect_member_event("pusher_internal:member_removed", ROOM)
        .await;
    let presence = three.subscribe_presence(ROOM, json!("3"), json!({})).await;
    assert_eq!(
        presence["count"], 2,
        "a freed place can be taken: {presence}"
    );
}

#[tokio::test]
async fn user_info_over_the_limit_is_refused() {
    let server = TestServer::spawn(config_with(|app| app.limits.user_info_bytes = 32)).await;
    let mut client = server.connect().await;
    let big = json!({"user_id": "1", "user_info": {"name": "x".repeat(40)}}).to_string();
    let auth = client.auth(ROOM, Some(&big));
    client.send_subscribe(ROOM, Some(&auth), Some(&big)).await;
    client.expect_subscription_error(ROOM).await;
    let (status, body) = server.api().get(&format!("/channels/{ROOM}"), &[]).await;
    assert_eq!((status, body), (200, json!({"occupied": false})));
    // 32 bytes exactly: {"name":"xxxxxxxxxxxxxxxxxxxxx"}
    let fits = json!({"name": "x".repeat(21)});
    assert_eq!(fits.to_string().len(), 32);
    client.subscribe_presence(ROOM, json!("1"), fits).await;
}

#[tokio::test]
async fn event_data_over_the_limit_is_413_over_http_and_an_error_over_ws() {
    let server = TestServer::spawn(config_with(|app| app.limits.event_data_bytes = 100)).await;
    let api = server.api();
    let mut sender = server.connect().await;
    sender.subscribe_private("private-chat").await;
    let mut other = server.connect().await;
    other.subscribe_private("private-chat").await;

    let publish = |data: String| json!({"name": "e", "channel": "private-chat", "data": data});
    let (status, body) = api.post("/events", &publish("x".repeat(101))).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.is_object(), "{body}");
    let batch =
        json!({"batch": [{"name": "e", "channel": "private-chat", "data": "x".repeat(101)}]});
    let (status, body) = api.post("/batch_events", &batch).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        api.post("/events", &publish("x".repeat(100))).await,
        (200, json!({}))
    );
    for client in [&mut sender, &mut other] {
        assert_eq!(client.recv_json().await["data"], "x".repeat(100));
    }

    // The data member as sent is 2 + 99 bytes.
    let whisper = json!({"event": "client-x", "channel": "private-chat", "data": "y".repeat(99)});
    sender.send_json(&whisper).await;
    sender.expect_event("pusher:error").await;
    sender.ping().await;
    other.assert_silent().await;
    let small = json!({"event": "client-x", "channel": "private-chat", "data": "y".repeat(50)});
    sender.send_json(&small).await;
    assert_eq!(other.recv_json().await, small);
}

#[tokio::test]
async fn the_fourth_api_request_in_a_second_is_429_with_json() {
    let server = TestServer::spawn(config_with(|app| {
        app.limits.api_requests_per_second = Some(3);
    }))
    .await;
    let api = server.api();
    for _ in 0..3 {
        assert_eq!(api.get("/channels", &[]).await.0, 200);
    }
    let (status, body) = api.get("/channels", &[]).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.is_object(), "a JSON object body: {body}");
    let (status, body) = api
        .post(
            "/events",
            &json!({"name": "e", "channel": "c", "data": "d"}),
        )
        .await;
    assert_eq!(status, 429, "publishing counts too: {body}");
    let port = server.http_base().rsplit(':').next().unwrap().to_owned();
    let limited = [
        ("app_id", "app-id"),
        ("port", &port),
        ("limiter", "http_api"),
    ];
    assert_eq!(server.metric("rate_limited_total", &limited).await, 2.0);
    // The next second's window lets requests through again.
    eventually("a request passes in a later window", || async {
        api.get("/channels", &[]).await.0 == 200
    })
    .await;
    assert_eq!(
        api.post(
            "/events",
            &json!({"name": "e", "channel": "c", "data": "d"})
        )
        .await,
        (200, json!({}))
    );
}

#[tokio::test]
async fn channel_names_over_the_configured_length_are_refused() {
    let server = TestServer::spawn(config_with(|app| app.limits.channel_name_length = 20)).await;
    let api = server.api();
    let fits = "a".repeat(20);
    let long = "a".repeat(21);
    let mut client = server.connect().await;
    client.send_subscribe(&long, Some(""), None).await;
    let error: Value = client.expect_subscription_error(&long).await;
    assert!(error["status"].is_u64(), "{error}");
    client.subscribe_public(&fits).await;

    let (status, body) = api
        .post(
            "/events",
            &json!({"name": "e", "channel": long, "data": "d"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let batch = json!({"batch": [{"name": "e", "channel": long, "data": "d"}]});
    let (status, body) = api.post("/batch_events", &batch).await;
    assert_eq!(status, 400, "{body}");
    for rest in [
        format!("/channels/{long}"),
        format!("/channels/presence-{long}/users"),
    ] {
        let (status, body) = api.get(&rest, &[]).await;
        assert_eq!(status, 400, "{rest}: {body}");
    }
    api.publish(&fits, "e", "d").await;
    assert_eq!(
        client.recv_json().await,
        json!({"event": "e", "channel": fits, "data": "d"})
    );
}

#[tokio::test]
async fn private_names_count_their_prefix() {
    let server = TestServer::spawn(config_with(|app| app.limits.channel_name_length = 20)).await;
    let mut client: Client = server.connect().await;
    // "private-" + 13 = 21 characters.
    let long = format!("private-{}", "b".repeat(13));
    let auth = client.auth(&long, None);
    client.send_subscribe(&long, Some(&auth), None).await;
    client.expect_subscription_error(&long).await;
}

#[tokio::test]
async fn event_names_over_the_configured_length_are_refused() {
    let server = TestServer::spawn(config_with(|app| app.limits.event_name_length = 10)).await;
    let api = server.api();
    let mut sender = server.connect().await;
    sender.subscribe_private("private-chat").await;
    let mut other = server.connect().await;
    other.subscribe_private("private-chat").await;
    let (status, body) = api
        .post(
            "/events",
            &json!({"name": "e".repeat(11), "channel": "private-chat", "data": "d"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    api.publish("private-chat", &"e".repeat(10), "d").await;
    for client in [&mut sender, &mut other] {
        assert_eq!(client.recv_json().await["event"], "e".repeat(10));
    }
    let long = format!("client-{}", "x".repeat(4));
    sender
        .send_json(&json!({"event": long, "channel": "private-chat", "data": {}}))
        .await;
    sender.expect_event("pusher:error").await;
    sender.ping().await;
    other.assert_silent().await;
}

#[tokio::test]
async fn client_events_per_second_is_configurable() {
    let server =
        TestServer::spawn(config_with(|app| app.limits.client_events_per_second = 2)).await;
    let mut sender = server.connect().await;
    sender.subscribe_private("private-chat").await;
    let mut other = server.connect().await;
    other.subscribe_private("private-chat").await;
    for n in 0..3 {
        sender
            .send_json(&json!({"event": "client-n", "channel": "private-chat", "data": {"n": n}}))
            .await;
    }
    for n in 0..2 {
        assert_eq!(other.recv_json().await["data"]["n"], n);
    }
    sender.expect_error(Some(4301)).await;
    other.assert_silent().await;
}
