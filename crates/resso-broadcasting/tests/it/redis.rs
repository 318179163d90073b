//! The Redis driver through a real `redis-server`: a SUBSCRIBE sees Laravel's exact bytes.

use futures_util::StreamExt;
use resso_broadcasting::{Broadcaster, Channel, Driver, RedisConfig, SocketId};
use serde_json::json;

use crate::support::redis::RedisServer;

#[tokio::test]
async fn publishes_laravels_envelope_per_channel_with_the_prefix() {
    let server = RedisServer::start().await;
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
