//! The debug console through its real routes: refused without the right Basic credentials, absent
//! when not configured, its live feed showing a subscription and an API event as they happen, and
//! its event creator publishing to a Pusher subscriber through the HTTP API's checks.

use std::time::Duration;

use resso_server::config::{Config, ConsoleConfig};
use serde_json::{json, Value};

use crate::support::{config, TestServer};

const USER: &str = "ops";
const PASSWORD: &str = "correct horse";

fn with_console() -> Config {
    Config {
        console: ConsoleConfig {
            user: Some(USER.into()),
            password: Some(PASSWORD.into()),
        },
        ..config()
    }
}

fn url(server: &TestServer, path: &str) -> String {
    format!("{}{path}", server.http_base())
}

/// The console's routes, each of which must ask for credentials.
const ROUTES: [(&str, &str); 6] = [
    ("GET", "/console/"),
    ("GET", "/console/console.js"),
    ("GET", "/console/api/apps"),
    ("GET", "/console/api/apps/app-id/feed"),
    ("GET", "/console/api/apps/app-id/channels"),
    ("POST", "/console/api/apps/app-id/events"),
];

async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    auth: Option<(&str, &str)>,
) -> reqwest::Response {
    let http = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http.request(method, url(server, path));
    if let Some((user, password)) = auth {
        request = request.basic_auth(user, Some(password));
    }
    let body = json!({"channel": "c", "event": "e", "data": "{}"});
    request.json(&body).send().await.unwrap()
}

#[tokio::test]
async fn without_the_right_credentials_every_route_is_refused_with_a_bare_401() {
    let server = TestServer::spawn(with_console()).await;
    for (method, path) in ROUTES {
        for auth in [None, Some((USER, "wrong")), Some(("someone", PASSWORD))] {
            let answer = call(&server, method, path, auth).await;
            assert_eq!(answer.status(), 401, "{method} {path} with {auth:?}");
            let challenge = answer.headers()["www-authenticate"].to_str().unwrap();
            assert!(challenge.starts_with("Basic realm="), "{challenge}");
            assert_eq!(answer.text().await.unwrap(), "", "nothing else");
        }
    }
    let page = call(&server, "GET", "/console/", Some((USER, PASSWORD))).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for field in [
        "name=\"channel\"",
        "name=\"event\"",
        "name=\"data\"",
        "Send event",
    ] {
        assert!(html.contains(field), "the page has {field}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn not_configured_the_console_does_not_exist() {
    let server = TestServer::spawn(config()).await;
    for auth in [None, Some((USER, PASSWORD))] {
        let answer = call(&server, "GET", "/console/", auth).await;
        assert_eq!(answer.status(), 404);
        assert!(answer.headers().get("www-authenticate").is_none());
    }
    server.shutdown().await;
}

/// A console watching one app's live feed.
struct Feed {
    response: reqwest::Response,
    buffer: String,
}

impl Feed {
    /// Opens the feed of `app` and waits for `ready` (the watcher is counted from then on).
    async fn open(server: &TestServer, app: &str) -> Self {
        let path = format!("/console/api/apps/{app}/feed");
        let response = call(server, "GET", &path, Some((USER, PASSWORD))).await;
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        let mut feed = Self {
            response,
            buffer: String::new(),
        };
        let (event, data) = feed.next().await;
        assert_eq!((event.as_str(), data.as_str()), ("ready", app));
        feed
    }

    /// The next server-sent event: its name and data.
    async fn next(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim_start().to_owned())
                };
                if let (Some(event), Some(data)) = (field("event:"), field("data:")) {
                    return (event, data);
                }
                continue; // a keep-alive comment
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.response.chunk())
                .await
                .expect("an event within 5 s")
                .unwrap()
                .expect("the feed stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Reads entries until one of `type` (and `channel`, …) matches all of `fields`.
    async fn until(&mut self, fields: &Value) -> Value {
        let mut seen = Vec::new();
        loop {
            let (event, data) = self.next().await;
            assert_eq!(event, "entry", "{data}");
            let entry: Value = serde_json::from_str(&data).unwrap();
            let wanted = fields.as_object().unwrap();
            if wanted.iter().all(|(k, v)| &entry[k] == v) {
                return entry;
            }
            seen.push(entry);
            assert!(seen.len() < 50, "no {fields} among {seen:?}");
        }
    }
}

#[tokio::test]
async fn the_live_feed_shows_connections_subscriptions_and_api_events_with_their_names() {
    let server = TestServer::spawn(with_console()).await;
    let mut feed = Feed::open(&server, "app-id").await;
    let mut client = server.connect().await;
    let opened = feed
        .until(&json!({"type": "connected", "via": "pusher"}))
        .await;
    assert_eq!(opened["kind"], "connection");
    let socket = opened["socket"].clone();
    client.subscribe_public("orders").await;
    feed.until(&json!({"type": "occupied", "channel": "orders", "kind": "channel"}))
        .await;
    feed.until(&json!({"type": "subscribed", "channel": "orders", "socket": socket}))
        .await;
    server
        .api()
        .publish("orders", "order-shipped", r#"{"id":7}"#)
        .await;
    let event = feed
        .until(&json!({"type": "api_event", "event": "order-shipped"}))
        .await;
    assert_eq!(event["channel"], "orders");
    assert_eq!(event["data"], r#"{"id":7}"#);
    assert_eq!(event["delivered"], 1);
    assert!(event["at"]
        .as_u64()
        .is_some_and(|at| at > 1_600_000_000_000));
    drop(client);
    let closed = feed.until(&json!({"type": "disconnected"})).await;
    assert_eq!(closed["socket"], socket);
    assert!(closed["code"].as_u64().is_some(), "{closed}");
    feed.until(&json!({"type": "vacated", "channel": "orders"}))
        .await;
    server.shutdown().await;
}

async fn create(server: &TestServer, body: &Value, origin: Option<&str>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let mut request = http
        .post(url(server, "/console/api/apps/app-id/events"))
        .basic_auth(USER, Some(PASSWORD))
        .json(body);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_event_creator_publishes_through_the_api_checks_to_a_pusher_client() {
    let server = TestServer::spawn(with_console()).await;
    let mut client = server.connect().await;
    client.subscribe_public("news").await;
    let body = json!({"channel": "news", "event": "headline", "data": "{\"title\":\"hi\"}"});
    let own_origin = server.http_base();
    let (status, answer) = create(&server, &body, Some(&own_origin)).await;
    assert_eq!((status, &answer), (200, &json!({"delivered": 1})));
    let frame = client.expect_event("headline").await;
    assert_eq!(frame["channel"], "news");
    assert_eq!(frame["data"], "{\"title\":\"hi\"}");

    let not_json = json!({"channel": "news", "event": "e", "data": "{title"});
    let (status, answer) = create(&server, &not_json, None).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("not JSON"));
    let bad_name = json!({"channel": "no spaces", "event": "e", "data": "{}"});
    assert_eq!(create(&server, &bad_name, None).await.0, 400);
    let long = "x".repeat(300);
    let too_long = json!({"channel": "news", "event": long, "data": "{}"});
    assert_eq!(create(&server, &too_long, None).await.0, 400);
    let (status, _) = create(&server, &body, Some("https://evil.test")).await;
    assert_eq!(status, 403, "a cross-site page cannot publish");
    client.assert_silent().await;
    server.shutdown().await;
}
