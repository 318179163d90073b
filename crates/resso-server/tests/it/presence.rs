//! Presence channels: members per user, not per connection (reference §2.3, §10.1–3, §10.20).

use serde_json::{json, Value};

use crate::support::{config, Client, TestServer};

const ROOM: &str = "presence-room";

async fn join(server: &TestServer, user: &str, name: &str) -> (Client, Value) {
    let mut client = server.connect().await;
    let presence = client
        .subscribe_presence(ROOM, json!(user), json!({"name": name}))
        .await;
    (client, presence)
}

#[tokio::test]
async fn two_users_see_each_other() {
    let server = TestServer::spawn(config()).await;
    let (mut alice, presence) = join(&server, "1", "Alice").await;
    assert_eq!(
        presence,
        json!({"ids": ["1"], "hash": {"1": {"name": "Alice"}}, "count": 1})
    );
    let (mut bob, presence) = join(&server, "2", "Bob").await;
    assert_eq!(presence["count"], 2);
    let port = server.http_base().rsplit(':').next().unwrap().to_owned();
    let app = [("app_id", "app-id"), ("port", &port)];
    assert_eq!(server.metric("presence_members", &app).await, 2.0);
    let presence_channels = [
        ("app_id", "app-id"),
        ("port", &port),
        ("channel_type", "presence"),
    ];
    assert_eq!(server.metric("channels", &presence_channels).await, 1.0);
    assert_eq!(
        presence["hash"],
        json!({"1": {"name": "Alice"}, "2": {"name": "Bob"}})
    );
    let added = alice
        .expect_member_event("pusher_internal:member_added", ROOM)
        .await;
    assert_eq!(added, json!({"user_id": "2", "user_info": {"name": "Bob"}}));
    bob.assert_silent().await;
    bob.unsubscribe(ROOM).await;
    let removed = alice
        .expect_member_event("pusher_internal:member_removed", ROOM)
        .await;
    assert_eq!(removed, json!({"user_id": "2"}));
    bob.assert_silent().await;
}

#[tokio::test]
async fn same_user_on_two_connections_is_one_member() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    let (mut alice, _) = join(&server, "1", "Alice").await;
    let (mut bob1, _) = join(&server, "2", "Bob").await;
    let added = alice
        .expect_member_event("pusher_internal:member_added", ROOM)
        .await;
    assert_eq!(added["user_id"], "2");
    let (bob2, presence) = join(&server, "2", "Bob").await;
    assert_eq!(presence["count"], 2, "deduplicated by user: {presence}");
    alice.assert_silent().await;
    bob1.assert_silent().await;
    let info = api
        .channel_info(ROOM, "user_count,subscription_count")
        .await;
    assert_eq!(
        info,
        json!({"occupied": true, "user_count": 2, "subscription_count": 3})
    );
    let (status, users) = api.get(&format!("/channels/{ROOM}/users"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(sorted_ids(&users), ["1", "2"]);

    bob1.unsubscribe(ROOM).await;
    alice.assert_silent().await;
    drop(bob2); // the socket goes away without a close handshake
    let removed = alice
        .expect_member_event("pusher_internal:member_removed", ROOM)
        .await;
    assert_eq!(removed, json!({"user_id": "2"}));
    let info = api.channel_info(ROOM, "user_count").await;
    assert_eq!(info, json!({"occupied": true, "user_count": 1}));
}

fn sorted_ids(users: &Value) -> Vec<String> {
    let mut ids: Vec<String> = users["users"]
        .as_array()
        .expect("users is an array")
        .iter()
        .map(|u| u["id"].as_str().expect("id is a string").to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn numeric_user_id_and_php_escapes_are_signed_as_sent() {
    let server = TestServer::spawn(config()).await;
    let mut observer = server.connect().await;
    let presence = observer
        .subscribe_presence_raw(ROOM, r#"{"user_id":"1","user_info":true}"#)
        .await;
    assert_eq!(
        presence,
        json!({"ids": ["1"], "hash": {"1": true}, "count": 1})
    );

    let php =
        r#"{"user_id":42,"user_info":{"url":"https:\/\/example.com\/u\/42","name":"Jos\u00e9"}}"#;
    let info = json!({"url": "https://example.com/u/42", "name": "José"});
    let mut laravel = server.connect().await;
    // A signature over re-serialized JSON must not pass for the escaped string.
    let reencoded = json!({"user_id": 42, "user_info": info}).to_string();
    let wrong = laravel.auth(ROOM, Some(&reencoded));
    laravel.send_subscribe(ROOM, Some(&wrong), Some(php)).await;
    let refused = laravel.expect_event("pusher:subscription_error").await;
    assert_eq!(refused["data"]["status"], 401, "{refused}");
    laravel.expect_no_success_then_pong().await;

    let presence = laravel.subscribe_presence_raw(ROOM, php).await;
    assert_eq!(presence["count"], 2);
    assert_eq!(presence["hash"], json!({"1": true, "42": info}));
    let added = observer
        .expect_member_event("pusher_internal:member_added", ROOM)
        .await;
    assert_eq!(added, json!({"user_id": "42", "user_info": info}));
    let (_, users) = server
        .api()
        .get(&format!("/channels/{ROOM}/users"), &[])
        .await;
    assert_eq!(sorted_ids(&users), ["1", "42"]);
}

#[tokio::test]
async fn presence_resubscribe_is_idempotent() {
    let server = TestServer::spawn(config()).await;
    let (mut alice, _) = join(&server, "1", "Alice").await;
    let (mut bob, _) = join(&server, "2", "Bob").await;
    alice
        .expect_member_event("pusher_internal:member_added", ROOM)
        .await;
    let presence = bob
        .subscribe_presence(ROOM, json!("2"), json!({"name": "Bob"}))
        .await;
    assert_eq!(presence["count"], 2);
    alice.assert_silent().await;
    let info = server
        .api()
        .channel_info(ROOM, "user_count,subscription_count")
        .await;
    assert_eq!(
        info,
        json!({"occupied": true, "user_count": 2, "subscription_count": 2})
    );
    bob.unsubscribe(ROOM).await;
    let removed = alice
        .expect_member_event("pusher_internal:member_removed", ROOM)
        .await;
    assert_eq!(removed, json!({"user_id": "2"}));
}
