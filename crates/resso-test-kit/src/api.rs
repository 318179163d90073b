//! [`Api`]: the HTTP API of one server (or one node) for one app, as a Pusher server SDK calls it,
//! signed with the current time.

use std::time::{SystemTime, UNIX_EPOCH};

use resso_protocol::http_sig::signed_query;
use serde_json::{json, Value};

use crate::TestApp;

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A signed HTTP client for one app.
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

    /// `/apps/{id}{rest}`.
    pub fn path(&self, rest: &str) -> String {
        format!("/apps/{}{rest}", self.app.id)
    }

    /// The signed query for a request, as the SDKs build it.
    pub fn query(&self, method: &str, path: &str, extra: &[(&str, &str)], body: &str) -> String {
        let (key, secret) = (self.app.key, self.app.secret);
        signed_query(key, secret, method, path, extra, body.as_bytes(), now())
    }

    /// Signed `POST /apps/{id}{rest}` with `body` serialized as JSON.
    pub async fn post(&self, rest: &str, body: &Value) -> (u16, Value) {
        self.post_raw(rest, &body.to_string()).await
    }

    /// Signed `POST /apps/{id}{rest}` with this exact body.
    pub async fn post_raw(&self, rest: &str, body: &str) -> (u16, Value) {
        let path = self.path(rest);
        let query = self.query("POST", &path, &[], body);
        self.send("POST", &format!("{path}?{query}"), body).await
    }

    /// Signed `GET /apps/{id}{rest}` with `extra` query parameters (unescaped).
    pub async fn get(&self, rest: &str, extra: &[(&str, &str)]) -> (u16, Value) {
        let path = self.path(rest);
        let query = self.query("GET", &path, extra, "");
        self.send("GET", &format!("{path}?{query}"), "").await
    }

    /// Signed `GET` that must answer 200; returns the body.
    pub async fn get_ok(&self, rest: &str, extra: &[(&str, &str)]) -> Value {
        let (status, body) = self.get(rest, extra).await;
        assert_eq!(status, 200, "GET {rest} {extra:?}: {body}");
        body
    }

    /// Any request; the response must be JSON (every answer of the server is).
    pub async fn send(&self, method: &str, path_and_query: &str, body: &str) -> (u16, Value) {
        let url = format!("{}{path_and_query}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, &url);
        if !body.is_empty() {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("HTTP request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("response body");
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{url} answered {status} with non-JSON {text:?}: {e}"));
        (status, json)
    }

    /// Publishes one event and expects `200 {}`.
    pub async fn publish(&self, channel: &str, event: &str, data: &str) {
        self.publish_except(channel, event, data, None).await;
    }

    /// Publishes one event, excluding the socket `except` (when given), and expects `200 {}`.
    pub async fn publish_except(
        &self,
        channel: &str,
        event: &str,
        data: &str,
        except: Option<&str>,
    ) {
        let mut body = json!({"name": event, "channel": channel, "data": data});
        if let Some(socket) = except {
            body["socket_id"] = socket.into();
        }
        assert_eq!(self.post("/events", &body).await, (200, json!({})));
    }

    /// `GET /channels/{channel}` with `info`; expects 200.
    pub async fn channel_info(&self, channel: &str, info: &str) -> Value {
        let (status, body) = self
            .get(&format!("/channels/{channel}"), &[("info", info)])
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}
