//! `POST /events` and `POST /batch_events` (reference §5.3–5.4, §3.4).

use serde_json::{json, Value};

use crate::support::{config, Api, TestServer};

/// Publisher data as PHP's `json_encode` writes it: escaped slashes and unicode, quotes.
const DATA: &str = r#"{"message":"hello \/ \u00e9 \"quoted\"","n":1}"#;

#[tokio::test]
async fn events_to_channel_and_channels_deliver_the_exact_data_string() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let mut news = server.connect().await;
    news.subscribe_public("news").await;
    let mut sports = server.connect().await;
    sports.subscribe_private("private-sports").await;

    let one = json!({"name": r"App\Events\OrderShipped", "channel": "news", "data": DATA});
    assert_eq!(api.post("/events", &one).await, (200, json!({})));
    assert_eq!(
        news.recv_json().await,
        json!({"event": r"App\Events\OrderShipped", "channel": "news", "data": DATA})
    );
    sports.assert_silent().await;

    let many = json!({"name": "my-event", "channels": ["news", "private-sports"], "data": DATA});
    assert_eq!(api.post("/events", &many).await, (200, json!({})));
    for (client, channel) in [(&mut news, "news"), (&mut sports, "private-sports")] {
        assert_eq!(
            client.recv_json().await,
            json!({"event": "my-event", "channel": channel, "data": DATA})
        );
        client.assert_silent().await;
    }
}

#[tokio::test]
async fn socket_id_excludes_that_socket() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let mut origin = server.connect().await;
    origin.subscribe_public("news").await;
    let mut other = server.connect().await;
    other.subscribe_public("news").await;
    let body = json!({"name": "e", "channel": "news", "data": "x", "socket_id": origin.socket_id});
    assert_eq!(api.post("/events", &body).await, (200, json!({})));
    assert_eq!(
        other.recv_json().await,
        json!({"event": "e", "channel": "news", "data": "x"})
    );
    origin.assert_silent().await;

    let unknown = json!({"name": "e2", "channel": "news", "data": "y", "socket_id": "1.1"});
    assert_eq!(api.post("/events", &unknown).await, (200, json!({})));
    origin.expect_event("e2").await;
    other.expect_event("e2").await;

    let invalid = json!({"name": "e3", "channel": "news", "data": "z", "socket_id": "abc"});
    let (status, body) = api.post("/events", &invalid).await;
    assert_eq!(status, 400, "{body}");
    origin.assert_silent().await;
}

#[tokio::test]
async fn info_reports_counts_per_channel() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let mut news = server.connect().await;
    news.subscribe_public("news").await;
    let mut a = server.connect().await;
    a.subscribe_presence("presence-room", json!("1"), json!(null))
        .await;
    let mut b = server.connect().await;
    b.subscribe_presence("presence-room", json!("1"), json!(null))
        .await;
    let body = json!({
        "name": "e", "channels": ["news", "presence-room"], "data": "x",
        "info": "subscription_count,user_count",
    });
    let (status, body) = api.post("/events", &body).await;
    assert_eq!(status, 200, "{body}");
    let channels = body["channels"].as_object().expect("channels is an object");
    assert_eq!(channels.len(), 2, "{body}");
    assert_eq!(channels["news"], json!({"subscription_count": 1}));
    let room = &channels["presence-room"];
    assert_eq!(room["user_count"], 1, "{body}");
    if let Some(count) = room.get("subscription_count") {
        assert_eq!(count, 2, "{body}");
    }
}

#[tokio::test]
async fn batch_events_deliver_and_are_limited_to_ten() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let mut news = server.connect().await;
    news.subscribe_public("news").await;
    let mut room = server.connect().await;
    room.subscribe_presence("presence-room", json!("7"), json!(null))
        .await;
    let batch = json!({"batch": [
        {"channel": "news", "name": "first", "data": "{\"n\":1}"},
        {"channel": "presence-room", "name": "second", "data": DATA, "info": "user_count"},
    ]});
    let (status, body) = api.post("/batch_events", &batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["batch"][1]["user_count"], 1, "{body}");
    assert_eq!(
        news.recv_json().await,
        json!({"event": "first", "channel": "news", "data": "{\"n\":1}"})
    );
    assert_eq!(
        room.recv_json().await,
        json!({"event": "second", "channel": "presence-room", "data": DATA})
    );

    let eleven: Vec<Value> = (0..11)
        .map(|n| json!({"channel": "news", "name": "e", "data": n.to_string()}))
        .collect();
    let (status, body) = api.post("/batch_events", &json!({"batch": eleven})).await;
    assert_eq!(status, 400, "{body}");
    news.assert_silent().await;
    let ten = json!({"batch": &eleven[..10]});
    assert_eq!(api.post("/batch_events", &ten).await, (200, json!({})));
}

async fn publish_status(api: &Api, body: &Value) -> u16 {
    let (status, response) = api.post("/events", body).await;
    assert!(response.is_object(), "JSON object body: {response}");
    status
}

#[tokio::test]
async fn publish_limits() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let names = |n: usize| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>();
    let event = |name: &str, channels: Vec<String>, data: &str| json!({"name": name, "channels": channels, "data": data});
    let cases = [
        ("100 channels", event("e", names(100), "x"), 200),
        ("101 channels", event("e", names(101), "x"), 400),
        ("no channels", event("e", names(0), "x"), 400),
        (
            "10240 bytes",
            event("e", names(1), &"x".repeat(10_240)),
            200,
        ),
        (
            "10241 bytes",
            event("e", names(1), &"x".repeat(10_241)),
            413,
        ),
        ("name of 200", event(&"n".repeat(200), names(1), "x"), 200),
        ("name of 201", event(&"n".repeat(201), names(1), "x"), 400),
        ("bad channel", event("e", vec!["a b".into()], "x"), 400),
        ("no name", json!({"channels": ["c"], "data": "x"}), 400),
        ("no data", json!({"name": "e", "channels": ["c"]}), 400),
    ];
    for (case, body, expected) in cases {
        assert_eq!(publish_status(&api, &body).await, expected, "{case}");
    }
    let (status, body) = api.post_raw("/events", "{not json").await;
    assert_eq!(status, 400, "malformed JSON: {body}");
}
