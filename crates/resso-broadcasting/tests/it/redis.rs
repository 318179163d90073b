//! The Redis driver through a real `redis-server`: a SUBSCRIBE sees Laravel's exact bytes, and
//! Ressò's Redis ingestion delivers them to Pusher clients.

use futures_util::StreamExt;
use resso_broadcasting::{Broadcaster, Channel, Driver, RedisConfig, SocketId};
use serde_json::json;

use crate::support::Resso;
use resso_test_kit::Broker;

#[tokio::test]
async fn publishes_laravels_envelope_per_channel_with_the_prefix() {
    let server = Broker::redis().await;
    let client = redis::Client::open(server.url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.psubscribe("laravel-database-*").await.unwrap();
    let config = RedisConfig {
        url: server.url(),
        prefix: "laravel-database-".into(),
    };
    let driver = resso_broadcasting::driver::RedisDriver::connect(&config)
        .await
        .unwrap();
    let b = Broadcaster::new(Driver::Redis(driver));
    b.on([Channel::private("orders.1"), Channel::public("news")])
        .event("App\\Events\\OrderShipped")
        .with(&json!({"order": {"id": 1, "url": "a/b"}}))
        .to_others(SocketId::new(123, 456))
        .send()
        .await
        .unwrap();
    let mut messages = pubsub.on_message();
    let expected = r#"{"event":"App\\Events\\OrderShipped","data":{"order":{"id":1,"url":"a\/b"},"socket":"123.456"},"socket":"123.456"}"#;
    for channel in ["laravel-database-private-orders.1", "laravel-database-news"] {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), messages.next())
            .await
            .expect("a message within 5 s")
            .expect("the subscription stays open");
        assert_eq!(msg.get_channel_name(), channel);
        let payload: String = msg.get_payload().unwrap();
        assert_eq!(payload, expected);
    }
}

#[tokio::test]
async fn through_ressos_redis_ingestion_to_pusher_clients() {
    let server = Broker::redis().await;
    let prefix = "laravel-database-";
    let ingest = resso_server::config::IngestConfig::new(&server.url(), prefix);
    let resso = Resso::start_with(|app| app.ingest = Some(ingest)).await;
    let mut sender = resso.client().await;
    let mut other = resso.client().await;
    sender.subscribe("orders", None).await;
    other.subscribe("orders", None).await;
    // Ressò's PSUBSCRIBE must be in place before publishing (pub/sub keeps nothing).
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let patterns: i64 = redis::cmd("PUBSUB")
            .arg("NUMPAT")
            .query_async(&mut conn)
            .await
            .unwrap();
        if patterns > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Ressò never subscribed to Redis"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let config = RedisConfig {
        url: server.url(),
        prefix: prefix.into(),
    };
    let driver = resso_broadcasting::driver::RedisDriver::connect(&config)
        .await
        .unwrap();
    let b = Broadcaster::new(Driver::Redis(driver));
    b.on([Channel::public("orders")])
        .event("App\\Events\\OrderShipped")
        .with(&json!({"order": {"id": 1}}))
        .to_others(sender.socket_id)
        .send()
        .await
        .unwrap();
    let frame = other.next_event().await;
    assert_eq!(frame["event"], "App\\Events\\OrderShipped");
    assert_eq!(frame["channel"], "orders");
    let data: serde_json::Value = serde_json::from_str(frame["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["order"], json!({"id": 1}));
    sender.assert_nothing_pending().await;
}
