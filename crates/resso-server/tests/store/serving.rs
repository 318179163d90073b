//! A row of Soketi's table serves clients as a file app does: connections with its key, the HTTP
//! API signed with its secret, webhooks from its `webhooks` column, limits from its columns.

use serde_json::json;

use crate::support::schema::{self, Row};
use crate::support::{database, Client, Engine, Node, Sink, TestApp, DB_APP, FILE_APP};

pub async fn a_soketi_row_serves_clients_the_api_and_webhooks(engine: Engine) {
    let db = database(engine).await;
    let sink = Sink::start(DB_APP).await;
    let hooks = json!([{"url": sink.url("/hooks"), "event_types": ["channel_occupied"]}]);
    let row = Row {
        max_connections: 3,
        max_client_events: 1,
        presence_members: Some(1),
        webhooks: Some(hooks.to_string()),
        ..Row::default()
    };
    schema::insert(&db, DB_APP, &row).await;
    // A row with a file app's id is refused (the file app is served) and logged.
    let clash = TestApp {
        id: FILE_APP.id,
        key: "clash-key",
        secret: "clash-secret",
    };
    schema::insert(&db, clash, &Row::default()).await;
    let node = Node::start(&db, 1).await;

    let mut client = Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    client.subscribe_public("news").await;
    let hook = sink
        .wait_for("/hooks", |e| e["name"] == "channel_occupied")
        .await;
    assert_eq!(hook.event["channel"], "news");
    node.api(DB_APP).publish("news", "greeting", "hello").await;
    let event = client.expect_event("greeting").await;
    assert_eq!(event["data"], "hello");

    // max_presence_members_per_channel = 1: a second member is refused.
    let mut member = Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    member.join("presence-room", "1", "one").await;
    let mut other = Client::connect_as(&node.ws(DB_APP), DB_APP).await;
    let data = r#"{"user_id":"2","user_info":{}}"#;
    let auth = other.auth("presence-room", Some(data));
    other
        .send_subscribe("presence-room", Some(&auth), Some(data))
        .await;
    other.expect_subscription_error("presence-room").await;
    // max_connections = 3: a fourth is refused with 4004.
    let mut fourth = Client::open_as(&node.ws(DB_APP), DB_APP).await;
    fourth.expect_refusal(4004).await;

    // The file's app and the database's are served side by side; a made-up key is refused.
    Client::connect_as(&node.ws(FILE_APP), FILE_APP).await;
    let mut clashing = Client::open_as(&node.ws(clash), clash).await;
    clashing.expect_refusal(4001).await;
    assert_eq!(node.logged("database app refused"), 1);
    let mut stranger = Client::open(&node.ws(resso_test_kit::TestApp {
        key: "nope",
        ..DB_APP
    }))
    .await;
    stranger.expect_refusal(4001).await;
}
