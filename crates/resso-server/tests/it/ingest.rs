//! Laravel's `redis` broadcaster, through a real `redis-server`: what Laravel publishes on
//! `{prefix}{channel}` reaches the app's Pusher clients as Pusher would deliver it (`data` a JSON
//! string), minus the `socket` it names; each prefix style works; garbage is dropped without harm;
//! a Redis restart is survived; shutdown stops the subscription.

use resso_server::config::{Config, IngestConfig};
use serde_json::{json, Value};

use crate::support::{config, config_with, Broker, Client, TestServer, MAIN, ORIGIN, QUIET};

const PREFIX: &str = "laravel_database_";

fn ingesting(redis: &Broker) -> Config {
    config_with(|app| app.ingest = Some(IngestConfig::new(&redis.url(), PREFIX)))
}

/// Laravel's payload: `socket` both top-level and inside `data`, as PHP builds it.
fn laravel(event: &str, data: &Value, socket: Option<&str>) -> String {
    let mut data = data.clone();
    data["socket"] = json!(socket);
    json!({"event": event, "data": data, "socket": socket}).to_string()
}

/// What a Pusher client gets for `laravel(event, data, socket)` on `channel`.
fn pusher(event: &str, channel: &str, data: &Value, socket: Option<&str>) -> Value {
    let mut data = data.clone();
    data["socket"] = json!(socket);
    json!({"event": event, "channel": channel, "data": data.to_string()})
}

async fn subscribed(server: &TestServer, channel: &str) -> Client {
    let mut client = server.connect().await;
    client.subscribe_public(channel).await;
    client
}

#[tokio::test]
async fn laravel_events_reach_pusher_clients_without_the_sender() {
    let redis = Broker::redis().await;
    let server = TestServer::spawn(ingesting(&redis)).await;
    let mut sender = subscribed(&server, "orders").await;
    let mut other = subscribed(&server, "orders").await;
    let mut private = server.connect().await;
    private.subscribe_private("private-orders.1").await;
    redis.await_subscribers(&format!("{PREFIX}probe"), 1).await;

    let event = "App\\Events\\OrderShipped";
    let data = json!({"order": {"id": 1, "note": "caf\u{e9} \"1\""}});
    redis
        .publish(&format!("{PREFIX}orders"), &laravel(event, &data, None))
        .await
        .unwrap();
    let want = pusher(event, "orders", &data, None);
    assert_eq!(sender.recv_json().await, want);
    assert_eq!(other.recv_json().await, want);
    private.assert_silent().await;

    redis
        .publish(
            &format!("{PREFIX}private-orders.1"),
            &laravel(event, &data, None),
        )
        .await
        .unwrap();
    assert_eq!(
        private.recv_json().await,
        pusher(event, "private-orders.1", &data, None)
    );

    // `->toOthers()`: the socket Laravel names is left out.
    let socket = sender.socket_id.clone();
    let payload = laravel(event, &data, Some(&socket));
    redis
        .publish(&format!("{PREFIX}orders"), &payload)
        .await
        .unwrap();
    assert_eq!(
        other.recv_json().await,
        pusher(event, "orders", &data, Some(&socket))
    );
    sender.assert_silent().await;
    server.shutdown().await;
}

#[tokio::test]
async fn each_prefix_style_is_stripped() {
    let redis = Broker::redis().await;
    let mut config = config();
    for (app, prefix) in [(MAIN, PREFIX), (QUIET, "laravel-database-"), (ORIGIN, "")] {
        let app = config.apps.iter_mut().find(|a| a.id == app.id).unwrap();
        app.ingest = Some(IngestConfig::new(&redis.url(), prefix));
    }
    let server = TestServer::spawn(config).await;
    let mut old = server.client(MAIN).await;
    old.subscribe_public("orders").await;
    let mut new = server.client(QUIET).await;
    new.subscribe_public("orders").await;
    let mut bare = server.client(ORIGIN).await;
    for channel in [
        "orders",
        "laravel_database_orders",
        "laravel-database-orders",
    ] {
        bare.subscribe_public(channel).await;
    }
    // Each probe reaches its prefix's app and the unprefixed one.
    redis.await_subscribers("laravel_database_probe", 2).await;
    redis.await_subscribers("laravel-database-probe", 2).await;

    let data = json!({"n": 1});
    for (redis_channel, reader, channel) in [
        ("laravel_database_orders", &mut old, "orders"),
        ("laravel-database-orders", &mut new, "orders"),
    ] {
        redis
            .publish(redis_channel, &laravel("E", &data, None))
            .await
            .unwrap();
        assert_eq!(reader.recv_json().await, pusher("E", channel, &data, None));
        // Without a prefix configured, the Redis channel is the channel name, prefix and all.
        let whole = pusher("E", redis_channel, &data, None);
        assert_eq!(bare.recv_json().await, whole);
    }
    redis
        .publish("orders", &laravel("E", &data, None))
        .await
        .unwrap();
    assert_eq!(bare.recv_json().await, pusher("E", "orders", &data, None));
    old.assert_silent().await;
    new.assert_silent().await;
}

#[tokio::test]
async fn garbage_is_dropped_and_the_next_event_delivered() {
    let redis = Broker::redis().await;
    let server = TestServer::spawn(ingesting(&redis)).await;
    let mut client = subscribed(&server, "orders").await;
    redis.await_subscribers(&format!("{PREFIX}probe"), 1).await;

    let orders = format!("{PREFIX}orders");
    let long_event = json!({"event": "e".repeat(201), "data": {}}).to_string();
    let garbage = [
        (orders.as_str(), "not json"),
        (orders.as_str(), ""),
        (orders.as_str(), "[1,2]"),
        (orders.as_str(), r#"{"event":5,"data":{}}"#),
        (orders.as_str(), r#"{"data":{}}"#),
        (orders.as_str(), r#"{"event":"e"}"#),
        (orders.as_str(), r#"{"event":"e","data":{},"socket":7}"#),
        (orders.as_str(), &long_event),
        (PREFIX, r#"{"event":"e","data":{}}"#),
        (
            &format!("{PREFIX}bad channel"),
            r#"{"event":"e","data":{}}"#,
        ),
    ];
    for (channel, payload) in garbage {
        redis.publish(channel, payload).await.unwrap();
    }
    let not_utf8 = b"{\"event\":\"e\",\"data\":\"\xff\"}";
    redis.publish(&orders, not_utf8).await.unwrap();
    let data = json!({"still": "here"});
    redis
        .publish(&orders, &laravel("E", &data, None))
        .await
        .unwrap();
    assert_eq!(client.recv_json().await, pusher("E", "orders", &data, None));
    client.assert_silent().await;
    server.shutdown().await;
}

#[tokio::test]
async fn delivery_resumes_after_a_redis_restart() {
    let mut redis = Broker::redis().await;
    let server = TestServer::spawn(ingesting(&redis)).await;
    let mut client = subscribed(&server, "orders").await;
    redis.await_subscribers(&format!("{PREFIX}probe"), 1).await;

    redis.kill();
    // The rest of the server carries on while Redis is away.
    server.api().publish("orders", "from-api", "1").await;
    let api_event = json!({"event": "from-api", "channel": "orders", "data": "1"});
    assert_eq!(client.recv_json().await, api_event);

    redis.restart().await;
    redis.await_subscribers(&format!("{PREFIX}probe"), 1).await;
    let data = json!({"after": "restart"});
    redis
        .publish(&format!("{PREFIX}orders"), &laravel("E", &data, None))
        .await
        .unwrap();
    assert_eq!(client.recv_json().await, pusher("E", "orders", &data, None));

    // Shutdown is not held up by a subscription retrying against a dead Redis.
    redis.kill();
    server.shutdown().await;
}
