//! Presence abuse: members with the largest `user_info` allowed, a full channel, and a join/leave
//! storm of new users. What the registry holds stays within `presence_members` ×
//! `user_info_bytes`, nothing is left behind once the storm ends, and a well-behaved member sees
//! every join and leave while a bystander keeps its deliveries.

use serde_json::{json, Value};

use super::Bystander;
use crate::support::{config_with, TestServer};

const ROOM: &str = "presence-room";
const MEMBERS: usize = 5;
const INFO_BYTES: usize = 1024;

async fn server() -> TestServer {
    TestServer::spawn(config_with(|app| {
        app.limits.presence_members = MEMBERS;
        app.limits.user_info_bytes = INFO_BYTES;
    }))
    .await
}

/// A `user_info` whose JSON takes exactly `bytes` bytes.
fn info_of(bytes: usize) -> Value {
    let overhead = r#"{"pad":""}"#.len();
    json!({ "pad": "x".repeat(bytes - overhead) })
}

async fn members(server: &TestServer) -> Vec<String> {
    let (status, body) = server
        .api()
        .get(&format!("/channels/{ROOM}/users"), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let users = body["users"].as_array().cloned().unwrap_or_default();
    users
        .iter()
        .map(|u| u["id"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[tokio::test]
async fn a_full_room_of_maximal_members_refuses_more_and_keeps_its_bound() {
    let server = server().await;
    let mut calm = Bystander::join(&server).await;
    let mut held = Vec::new();
    for user in 0..MEMBERS {
        let mut member = server.connect().await;
        let id = format!("user-{user}");
        member
            .subscribe_presence(ROOM, json!(id), info_of(INFO_BYTES))
            .await;
        held.push(member);
    }
    let mut late = server.connect().await;
    for (user, info) in [("late", info_of(16)), ("big", info_of(INFO_BYTES + 1))] {
        let data = json!({"user_id": user, "user_info": info}).to_string();
        let auth = late.auth(ROOM, Some(&data));
        late.send_subscribe(ROOM, Some(&auth), Some(&data)).await;
        let error = late.expect_subscription_error(ROOM).await;
        assert_eq!(error["type"], "LimitReached", "{user}: {error}");
        calm.still_delivers().await;
    }
    assert_eq!(members(&server).await.len(), MEMBERS);
}

#[tokio::test]
async fn a_join_leave_storm_leaves_nothing_behind() {
    let server = server().await;
    let mut calm = Bystander::join(&server).await;
    let mut watcher = server.connect().await;
    watcher
        .subscribe_presence(ROOM, json!("watcher"), json!({}))
        .await;
    let mut storm = server.connect().await;
    for round in 0..200 {
        let id = format!("storm-{round}");
        storm
            .subscribe_presence(ROOM, json!(id), info_of(INFO_BYTES))
            .await;
        storm.unsubscribe(ROOM).await;
        let added = watcher
            .expect_member_event("pusher_internal:member_added", ROOM)
            .await;
        assert_eq!(added["user_id"], id.as_str(), "{added}");
        let removed = watcher
            .expect_member_event("pusher_internal:member_removed", ROOM)
            .await;
        assert_eq!(removed["user_id"], id.as_str(), "{removed}");
        if round % 50 == 0 {
            calm.still_delivers().await;
        }
    }
    storm.ping().await;
    assert_eq!(members(&server).await, ["watcher"]);
    drop(watcher);
    drop(storm);
    crate::support::eventually("the room is empty", || async {
        server.api().get(&format!("/channels/{ROOM}"), &[]).await.1["occupied"] == false
    })
    .await;
    calm.still_delivers().await;
}
