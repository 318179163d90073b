//! `GET /channels`, `/channels/{name}` and `/channels/{name}/users` (reference §5.5–5.7).

use serde_json::json;

use crate::support::{config, Client, TestServer, MAIN};

/// `news` (1 subscriber), `private-orders` (1) and `presence-room` (users 1, 1, 2: 3 subscribers).
async fn populate(server: &TestServer) -> Vec<Client> {
    let mut clients = Vec::new();
    let mut news = server.connect().await;
    news.subscribe_public("news").await;
    news.subscribe_private("private-orders").await;
    clients.push(news);
    for user in ["1", "1", "2"] {
        let mut client = server.connect().await;
        client
            .subscribe_presence("presence-room", json!(user), json!({"u": user}))
            .await;
        clients.push(client);
    }
    clients
}

#[tokio::test]
async fn channels_is_an_object_even_when_empty() {
    let server = TestServer::spawn(config()).await;
    let (status, body) = server.api().get("/channels", &[]).await;
    assert_eq!((status, body), (200, json!({"channels": {}})));
}

#[tokio::test]
async fn channel_list_filters_and_counts() {
    let server = TestServer::spawn(config()).await;
    let _clients = populate(&server).await;
    let api = server.api();
    let all = json!({"channels": {"news": {}, "private-orders": {}, "presence-room": {}}});
    assert_eq!(api.get("/channels", &[]).await, (200, all));
    let presence = [("filter_by_prefix", "presence-")];
    assert_eq!(
        api.get("/channels", &presence).await,
        (200, json!({"channels": {"presence-room": {}}}))
    );
    let users = [("filter_by_prefix", "presence-"), ("info", "user_count")];
    assert_eq!(
        api.get("/channels", &users).await,
        (
            200,
            json!({"channels": {"presence-room": {"user_count": 2}}})
        )
    );
    let subs = [("filter_by_prefix", "pri"), ("info", "subscription_count")];
    assert_eq!(
        api.get("/channels", &subs).await,
        (
            200,
            json!({"channels": {"private-orders": {"subscription_count": 1}}})
        )
    );
    for bad in [
        vec![("info", "user_count")],
        vec![("filter_by_prefix", "private-"), ("info", "user_count")],
    ] {
        let (status, body) = api.get("/channels", &bad).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert!(body.is_object(), "{body}");
    }
}

#[tokio::test]
async fn one_channel_reports_occupancy_and_counts() {
    let server = TestServer::spawn(config()).await;
    let _clients = populate(&server).await;
    let api = server.api();
    assert_eq!(
        api.channel_info("news", "").await,
        json!({"occupied": true})
    );
    assert_eq!(
        api.channel_info("news", "subscription_count").await,
        json!({"occupied": true, "subscription_count": 1})
    );
    assert_eq!(
        api.channel_info("presence-room", "user_count,subscription_count")
            .await,
        json!({"occupied": true, "user_count": 2, "subscription_count": 3})
    );
    assert_eq!(
        api.channel_info("empty", "subscription_count").await["occupied"],
        false
    );
    let (status, body) = api.get("/channels/news", &[("info", "user_count")]).await;
    assert_eq!(status, 400, "user_count on a public channel: {body}");
    assert!(body.is_object());
}

#[tokio::test]
async fn users_lists_distinct_ids_of_presence_channels_only() {
    let server = TestServer::spawn(config()).await;
    let _clients = populate(&server).await;
    let api = server.api();
    let (status, body) = api.get("/channels/presence-room/users", &[]).await;
    assert_eq!(status, 200, "{body}");
    let mut users = body["users"].as_array().expect("users array").clone();
    users.sort_by_key(|u| u["id"].as_str().map(str::to_owned));
    assert_eq!(users, vec![json!({"id": "1"}), json!({"id": "2"})]);
    assert_eq!(
        api.get("/channels/presence-nobody/users", &[]).await,
        (200, json!({"users": []}))
    );
    for channel in ["news", "private-orders"] {
        let (status, body) = api.get(&format!("/channels/{channel}/users"), &[]).await;
        assert_eq!(status, 400, "{channel}: {body}");
        assert!(body.is_object());
    }
}

#[tokio::test]
async fn connections_are_counted_as_reverb_answers() {
    let server = TestServer::spawn(config()).await;
    let api = server.api();
    assert_eq!(
        api.get("/connections", &[]).await,
        (200, json!({"connections": 0}))
    );
    let _one = server.connect().await;
    let _two = server.connect().await;
    assert_eq!(
        api.get("/connections", &[]).await,
        (200, json!({"connections": 2}))
    );
    let unsigned = reqwest::get(format!(
        "{}/apps/{}/connections",
        server.http_base(),
        MAIN.id
    ))
    .await
    .unwrap();
    assert_eq!(unsigned.status(), 401);
}
