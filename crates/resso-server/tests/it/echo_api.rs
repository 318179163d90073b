//! laravel-echo-server's HTTP API beside the Pusher one, through the real server and `reqwest`:
//! `auth_key` or `Authorization: Bearer` authorises against `[apps.echo_api].clients` (403
//! `{"error":"Unauthorized"}` otherwise), `auth_signature` keeps a request Pusher's, and the answers
//! have laravel-echo-server's shapes.

use resso_server::config::{EchoApiConfig, EchoClient, EchoCors};
use serde_json::{json, Value};

use crate::support::{config_with, TestServer};

const APP_ID: &str = "echo-app";
const KEY: &str = "echo-key";

fn echo_api(events: bool) -> EchoApiConfig {
    EchoApiConfig {
        clients: vec![EchoClient {
            app_id: APP_ID.into(),
            key: KEY.into(),
        }],
        events,
        cors: Some(EchoCors {
            allow_origin: "http://localhost:80".into(),
            allow_methods: "GET, POST".into(),
            allow_headers: "Authorization, X-Socket-Id".into(),
        }),
    }
}

async fn server(events: bool) -> TestServer {
    TestServer::spawn(config_with(|app| app.echo_api = Some(echo_api(events)))).await
}

/// An echo-server API request: `auth` is `("query", key)`, `("bearer", key)` or `("none", "")`.
async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    auth: (&str, &str),
    body: Option<&Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut url = format!("{}/apps/{path}", server.http_base());
    let http = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    if auth.0 == "query" {
        url.push_str(if url.contains('?') { "&" } else { "?" });
        url.push_str(&format!("auth_key={}", auth.1));
    }
    let mut request = http.request(method, &url);
    if auth.0 == "bearer" {
        request = request.bearer_auth(auth.1);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("HTTP request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json, headers)
}

#[tokio::test]
async fn events_reach_pusher_clients_with_socket_exclusion() {
    let server = server(true).await;
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    for c in [&mut a, &mut b] {
        c.subscribe_public("orders").await;
    }
    let body = json!({"channel": "orders", "name": "App\\Events\\Shipped", "data": {"id": 1},
                      "socket_id": a.socket_id});
    let (status, answer, headers) = call(
        &server,
        "POST",
        &format!("{APP_ID}/events"),
        ("query", KEY),
        Some(&body),
    )
    .await;
    assert_eq!((status, answer), (200, json!({"message": "ok"})));
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:80"
    );
    let want = json!({"event": "App\\Events\\Shipped", "channel": "orders", "data": "{\"id\":1}"});
    assert_eq!(b.recv_json().await, want);
    a.assert_silent().await;

    // `channels`, a string `data` (sent as it is), and a Bearer token.
    let body = json!({"channels": ["orders", "news"], "name": "e", "data": "plain"});
    let (status, _, _) = call(
        &server,
        "POST",
        &format!("{APP_ID}/events"),
        ("bearer", KEY),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200);
    let want = json!({"event": "e", "channel": "orders", "data": "plain"});
    assert_eq!(a.recv_json().await, want);
    assert_eq!(b.recv_json().await, want);
}

#[tokio::test]
async fn only_its_clients_are_authorised() {
    let server = server(true).await;
    let unauthorized = json!({"error": "Unauthorized"});
    for (path, auth) in [
        (format!("{APP_ID}/status"), ("query", "wrong")),
        (format!("{APP_ID}/status"), ("bearer", "wrong")),
        ("other-app/status".to_owned(), ("query", KEY)),
        // A Pusher app id is not an echo-server client.
        ("app-id/channels".to_owned(), ("query", "app-key")),
    ] {
        let (status, body, _) = call(&server, "GET", &path, auth, None).await;
        assert_eq!((status, &body), (403, &unauthorized), "{path} {auth:?}");
    }
    let events = json!({"channel": "orders", "name": "e", "data": "x"});
    let (status, body, _) = call(
        &server,
        "POST",
        &format!("{APP_ID}/events"),
        ("query", "wrong"),
        Some(&events),
    )
    .await;
    assert_eq!((status, body), (403, unauthorized));
    // Neither a key nor a signature: the Pusher API's answer (the echo client id is no app of it).
    let (status, _, _) = call(
        &server,
        "GET",
        &format!("{APP_ID}/status"),
        ("none", ""),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn pusher_and_echo_server_apis_coexist() {
    let server = server(true).await;
    let mut client = server.connect().await;
    client.subscribe_public("orders").await;
    // Signed (auth_key *and* auth_signature): Pusher's, on the same paths.
    server.api().publish("orders", "from-pusher", "1").await;
    let (status, body) = server.api().get("/channels", &[]).await;
    assert_eq!((status, body), (200, json!({"channels": {"orders": {}}})));
    assert_eq!(client.recv_json().await["event"], "from-pusher");
    let (status, body, _) = call(
        &server,
        "GET",
        &format!("{APP_ID}/channels"),
        ("query", KEY),
        None,
    )
    .await;
    let want = json!({"channels": {"orders": {"subscription_count": 1, "occupied": true}}});
    assert_eq!((status, body), (200, want));
    let events = json!({"channel": "orders", "name": "from-echo", "data": "2"});
    call(
        &server,
        "POST",
        &format!("{APP_ID}/events"),
        ("query", KEY),
        Some(&events),
    )
    .await;
    assert_eq!(client.recv_json().await["event"], "from-echo");
    // A Pusher request with a bad signature stays Pusher's: 401, not the echo API's 403.
    let url = format!("{}/apps/app-id/channels?auth_key=app-key&auth_signature=00&auth_timestamp=1&auth_version=1.0", server.http_base());
    assert_eq!(reqwest::get(url).await.unwrap().status().as_u16(), 401);
}

#[tokio::test]
async fn status_channel_and_users_answer_as_echo_server_did() {
    let server = server(true).await;
    let mut alice = server.connect().await;
    alice
        .subscribe_presence("presence-chat", json!(7), json!({"name": "Alice"}))
        .await;
    let mut other = server.connect().await;
    other.subscribe_public("news").await;
    let get = |path: String| {
        let server = &server;
        async move { call(server, "GET", &path, ("bearer", KEY), None).await }
    };
    let (status, body, _) = get(format!("{APP_ID}/status")).await;
    assert_eq!((status, &body["subscription_count"]), (200, &json!(2)));
    assert!(body["uptime"].as_f64().is_some() && body["memory_usage"]["rss"].as_u64() > Some(0));
    let (_, body, _) = get(format!("{APP_ID}/channels?filter_by_prefix=presence-")).await;
    let want = json!({"channels": {"presence-chat": {"subscription_count": 1, "occupied": true}}});
    assert_eq!(body, want);
    let (_, body, _) = get(format!("{APP_ID}/channels/presence-chat")).await;
    assert_eq!(
        body,
        json!({"subscription_count": 1, "occupied": true, "user_count": 1})
    );
    let (_, body, _) = get(format!("{APP_ID}/channels/empty")).await;
    assert_eq!(body, json!({"subscription_count": 0, "occupied": false}));
    let (status, body, _) = get(format!("{APP_ID}/channels/presence-chat/users")).await;
    let want = json!({"users": [{"id": 7, "user_info": {"name": "Alice"}}]});
    assert_eq!((status, body), (200, want));
    let (status, body, _) = get(format!("{APP_ID}/channels/news/users")).await;
    let want = json!({"error": "User list is only possible for Presence Channels"});
    assert_eq!((status, body), (400, want));
}

#[tokio::test]
async fn bad_events_and_disabled_events_are_refused() {
    let server = server(true).await;
    let path = format!("{APP_ID}/events");
    let missing = json!({"error": "Event must include channel, event name and data"});
    for body in [
        json!({"name": "e", "data": "x"}),
        json!({"channel": "orders", "data": "x"}),
        json!({"channel": "orders", "name": "e"}),
        json!({"channel": "orders", "name": "e", "data": ""}),
    ] {
        let (status, answer, _) = call(&server, "POST", &path, ("query", KEY), Some(&body)).await;
        assert_eq!((status, &answer), (400, &missing), "{body}");
    }
    let bad_channel = json!({"channel": "a b", "name": "e", "data": "x"});
    let (status, _, _) = call(&server, "POST", &path, ("query", KEY), Some(&bad_channel)).await;
    assert_eq!(status, 400);
    let url = format!("{}/apps/{path}?auth_key={KEY}", server.http_base());
    let response = reqwest::Client::new()
        .post(url)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    // Preflight: the configured CORS headers, no auth needed.
    let (status, _, headers) = call(&server, "OPTIONS", &path, ("none", ""), None).await;
    assert_eq!(
        (status, &headers["access-control-allow-methods"]),
        (204, &"GET, POST".parse().unwrap())
    );

    let closed = self::server(false).await;
    let body = json!({"channel": "orders", "name": "e", "data": "x"});
    let (status, _, _) = call(&closed, "POST", &path, ("query", KEY), Some(&body)).await;
    assert_eq!(status, 404);
    server.shutdown().await;
}
