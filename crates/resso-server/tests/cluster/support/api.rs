//! [`Api`]: the HTTP API of one node, signed as a Pusher server SDK signs it.

use std::time::{SystemTime, UNIX_EPOCH};

use resso_protocol::http_sig::signed_query;
use serde_json::{json, Value};

use super::TestApp;

/// The laravel-echo-server API client (`app_id`, `key`) every node configures for `MAIN`.
pub const ECHO: (&str, &str) = ("echo-id", "echo-key");

/// A signed HTTP client for one app on one node.
pub struct Api {
    http: reqwest::Client,
    base: String,
    app: TestApp,
}

impl Api {
    pub fn new(base: &str, app: TestApp) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            app,
        }
    }

    fn query(&self, method: &str, path: &str, extra: &[(&str, &str)], body: &str) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let (key, secret) = (self.app.key, self.app.secret);
        signed_query(key, secret, method, path, extra, body.as_bytes(), now)
    }

    /// Signed `POST /apps/{id}{rest}` with `body` as JSON.
    pub async fn post(&self, rest: &str, body: &Value) -> (u16, Value) {
        let path = format!("/apps/{}{rest}", self.app.id);
        let body = body.to_string();
        let query = self.query("POST", &path, &[], &body);
        let request = self
            .http
            .post(format!("{}{path}?{query}", self.base))
            .header("content-type", "application/json")
            .body(body);
        send(request).await
    }

    /// Signed `GET /apps/{id}{rest}` with `extra` query parameters.
    pub async fn get(&self, rest: &str, extra: &[(&str, &str)]) -> (u16, Value) {
        let path = format!("/apps/{}{rest}", self.app.id);
        let query = self.query("GET", &path, extra, "");
        send(self.http.get(format!("{}{path}?{query}", self.base))).await
    }

    /// `GET` that must answer 200; returns the body.
    pub async fn get_ok(&self, rest: &str, extra: &[(&str, &str)]) -> Value {
        let (status, body) = self.get(rest, extra).await;
        assert_eq!(status, 200, "GET {rest} {extra:?}: {body}");
        body
    }

    /// `MAIN`'s open connections across the cluster as this node counts them against
    /// `max_connections` (its own plus what the others' heartbeats told it): the
    /// `subscription_count` of laravel-echo-server's `GET /apps/{id}/status`.
    pub async fn connections(&self) -> u64 {
        let (id, key) = ECHO;
        let url = format!("{}/apps/{id}/status?auth_key={key}", self.base);
        let (status, body) = send(self.http.get(url)).await;
        assert_eq!(status, 200, "GET /apps/{id}/status: {body}");
        body["subscription_count"]
            .as_u64()
            .unwrap_or_else(|| panic!("subscription_count is a number: {body}"))
    }

    /// Publishes one event (`socket_id` excluded if given) and expects `200 {}`.
    pub async fn publish(&self, channel: &str, event: &str, data: &str, except: Option<&str>) {
        let mut body = json!({"name": event, "channel": channel, "data": data});
        if let Some(socket) = except {
            body["socket_id"] = socket.into();
        }
        assert_eq!(self.post("/events", &body).await, (200, json!({})));
    }
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("HTTP request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("response body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("answered {status} with non-JSON {text:?}: {e}"));
    (status, json)
}
