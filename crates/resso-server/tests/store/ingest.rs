//! A database app with `ingest` in its settings document relays what Laravel's `redis` broadcaster
//! publishes, as a file app with `[apps.ingest]` does: the subscription starts when the app is
//! loaded and stops when it is disabled.

use serde_json::json;

use crate::support::schema::{self, Row};
use crate::support::{database, eventually, Broker, Client, Engine, Node, DB_APP};

const PREFIX: &str = "laravel_database_";

/// Laravel's payload for an event without a sender.
fn laravel(event: &str, data: &serde_json::Value) -> String {
    json!({"event": event, "data": data, "socket": null}).to_string()
}

pub async fn a_database_app_relays_laravel_redis_events(engine: Engine) {
    let db = database(engine).await;
    let redis = Broker::redis().await;
    schema::insert(&db, DB_APP, &Row::default()).await;
    let ingest = json!({"ingest": {"url": redis.url(), "prefix": PREFIX}});
    schema::settings(&db, DB_APP, &ingest).await;
    let node = Node::start(&db, 1).await;
    let mut client = Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    client.subscribe_public("orders").await;
    redis.await_subscribers(&format!("{PREFIX}probe"), 1).await;

    let data = json!({"order": 1});
    let payload = laravel("Shipped", &data);
    let sent = redis.publish(&format!("{PREFIX}orders"), &payload).await;
    assert_eq!(sent.expect("publish"), 1);
    let event = client.expect_event("Shipped").await;
    assert_eq!(event["data"], data.to_string());

    // Disabled: the subscription stops within the TTL.
    schema::update(&db, DB_APP, "enabled = 0").await;
    eventually("the subscription stops", || async {
        let probe = laravel("probe", &json!({}));
        redis.publish(&format!("{PREFIX}probe"), &probe).await == Ok(0)
    })
    .await;
    assert_eq!(node.logged("laravel redis ingestion: stopped"), 1);
}
