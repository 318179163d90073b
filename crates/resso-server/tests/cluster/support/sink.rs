//! [`Sink`]: a webhook endpoint on 127.0.0.1:0 that checks each request's key and signature (hex
//! HMAC-SHA256 of the body with the app secret) and records every event with its arrival time.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::time::Instant;

use super::TestApp;

#[derive(Default)]
struct Record {
    events: Vec<(Instant, Value)>,
    bad: Vec<String>,
}

/// A recording webhook endpoint.
#[derive(Clone)]
pub struct Sink {
    record: Arc<Mutex<Record>>,
    app: TestApp,
    pub url: String,
}

impl Sink {
    pub async fn start(app: TestApp) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the sink");
        let url = format!("http://{}/hooks", listener.local_addr().expect("address"));
        let sink = Self {
            record: Arc::default(),
            app,
            url,
        };
        let router = Router::new().fallback(receive).with_state(sink.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        sink
    }

    /// Every event received at or after `since`; panics if a request failed a check.
    pub fn events_since(&self, since: Instant) -> Vec<Value> {
        let record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(
            record.bad.is_empty(),
            "bad webhook requests: {:?}",
            record.bad
        );
        let events = record.events.iter().filter(|(at, _)| *at >= since);
        events.map(|(_, e)| e.clone()).collect()
    }

    /// How many events since `since` are `name` on `channel` (for `user`, when given).
    pub fn count(&self, since: Instant, name: &str, channel: &str, user: Option<&str>) -> usize {
        let events = self.events_since(since);
        let matches = |e: &&Value| {
            e["name"] == name && e["channel"] == channel && user.is_none_or(|u| e["user_id"] == u)
        };
        events.iter().filter(matches).count()
    }

    /// Waits up to `wait` for a first such event.
    pub async fn wait_for(
        &self,
        since: Instant,
        (name, channel, user): (&str, &str, Option<&str>),
        wait: Duration,
    ) {
        let deadline = Instant::now() + wait;
        while self.count(since, name, channel, user) == 0 {
            assert!(
                Instant::now() < deadline,
                "no {name} webhook for {channel} {user:?} within {wait:?}; got {:?}",
                self.events_since(since)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let header = |name: &str| {
        let value = headers.get(name).and_then(|v| v.to_str().ok());
        value.unwrap_or("").to_owned()
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(sink.app.secret.as_bytes()).expect("any key");
    mac.update(&body);
    let signed =
        hex::decode(header("x-pusher-signature")).is_ok_and(|s| mac.verify_slice(&s).is_ok());
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let mut record = sink.record.lock().unwrap_or_else(PoisonError::into_inner);
    if !signed || header("x-pusher-key") != sink.app.key {
        record
            .bad
            .push(format!("{headers:?} {}", String::from_utf8_lossy(&body)));
        return StatusCode::UNAUTHORIZED;
    }
    let events = parsed
        .and_then(|mut b| b["events"].as_array_mut().map(std::mem::take))
        .unwrap_or_default();
    record.events.extend(events.into_iter().map(|e| (at, e)));
    StatusCode::OK
}
