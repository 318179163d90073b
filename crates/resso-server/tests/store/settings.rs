//! Ressò's settings table gives a database app what `[[apps]]` gives a file app beyond Soketi's
//! columns, with the same keys: a Socket.IO endpoint, found by its path from memory (no query per
//! connection), and laravel-echo-server's HTTP API. A path another app has is refused and logged.

use serde_json::json;

use crate::support::schema::{self, Row};
use crate::support::sio::Sio;
use crate::support::{database, eventually, Engine, Node, TestApp, DB_APP};

/// A second database app claiming DB_APP's path (its id sorts after DB_APP's, so it is refused).
const RIVAL: TestApp = TestApp {
    id: "rival-id",
    key: "rival-key",
    secret: "rival-secret",
};

pub async fn settings_give_socketio_and_the_echo_api(engine: Engine) {
    let db = database(engine).await;
    schema::insert(&db, DB_APP, &Row::default()).await;
    let settings = json!({
        "socketio": {"path": "/db-io", "ping_interval": 5000},
        "echo_api": {"clients": [{"app_id": "echo-client", "key": "echo-key"}]},
    });
    schema::settings(&db, DB_APP, &settings).await;
    schema::insert(&db, RIVAL, &Row::default()).await;
    schema::settings(&db, RIVAL, &json!({"socketio": {"path": "/db-io"}})).await;
    // A long TTL: no refresh runs during the test, so every query counted is a lookup's.
    let node = Node::start(&db, 300).await;
    eventually("the rival's claim is refused and logged", || async {
        node.logged_with("Socket.IO path \"/db-io\" refused", RIVAL.id) == 1
    })
    .await;

    // Never looked up before: its path is known, and the first connection reads the app.
    let mut sio = Sio::connect(node.addr, "/db-io").await;
    sio.subscribe("news").await;
    let queries = db.select_count().await;
    for _ in 0..5 {
        Sio::connect(node.addr, "/db-io").await;
    }
    assert_eq!(db.select_count().await, queries, "no query per connection");
    eventually("the Socket.IO client is subscribed", || async {
        let info = node
            .api(DB_APP)
            .channel_info("news", "subscription_count")
            .await;
        info["occupied"] == true
    })
    .await;

    // laravel-echo-server's API, authorised by the document's client.
    let http = reqwest::Client::new();
    let url = format!("http://{}/apps/echo-client/events", node.addr);
    let event = json!({"channel": "news", "name": "greeting", "data": {"n": 1}});
    let refused = http.post(&url).query(&[("auth_key", "wrong")]).json(&event);
    assert_eq!(
        refused.send().await.expect("request").status().as_u16(),
        403
    );
    let sent = http
        .post(&url)
        .query(&[("auth_key", "echo-key")])
        .json(&event);
    assert_eq!(sent.send().await.expect("request").status().as_u16(), 200);
    let args = sio.expect_event("greeting").await;
    assert_eq!((&args[1], &args[2]), (&json!("news"), &json!({"n": 1})));
}
