//! [`Sink`]: a webhook endpoint on 127.0.0.1:0 that checks every request the way pusher-http-node's
//! `WebHook` does (`Content-Type` exactly `application/json`, `X-Pusher-Key`, `X-Pusher-Signature` =
//! hex HMAC-SHA256 of the raw body with the app secret, computed here independently of the server)
//! and records the events of each request by path, in arrival order.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::time::Instant;

use super::TestApp;

/// How long an expected webhook may take (grace and batch windows of the tests are far shorter).
const WAIT: Duration = Duration::from_secs(3);

/// One webhook event as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request path it was posted to.
    pub path: String,
    pub at: Instant,
    /// The event object (`{"name":…,"channel":…,…}`).
    pub event: Value,
}

#[derive(Default)]
struct Record {
    events: Vec<Received>,
    /// Requests that failed a check, with the reason.
    bad: Vec<String>,
}

/// A recording webhook endpoint for one app.
#[derive(Clone)]
pub struct Sink {
    record: Arc<Mutex<Record>>,
    app: TestApp,
    base: String,
}

impl Sink {
    pub async fn start(app: TestApp) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the sink");
        let base = format!("http://{}", listener.local_addr().expect("sink address"));
        let sink = Self {
            record: Arc::default(),
            app,
            base,
        };
        let router = Router::new().fallback(receive).with_state(sink.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        sink
    }

    /// The URL of `path` on this sink.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every event posted to `path` so far; panics if any request failed a check.
    pub fn events(&self, path: &str) -> Vec<Received> {
        let record = self.lock();
        assert!(
            record.bad.is_empty(),
            "bad webhook requests: {:?}",
            record.bad
        );
        record
            .events
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// The event objects posted to `path` so far.
    pub fn bodies(&self, path: &str) -> Vec<Value> {
        self.events(path).into_iter().map(|r| r.event).collect()
    }

    /// Waits for the first event on `path` matching `wanted`; panics after [`WAIT`].
    pub async fn wait_for(&self, path: &str, wanted: impl Fn(&Value) -> bool) -> Received {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = self.events(path).into_iter().find(|r| wanted(&r.event)) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no matching webhook on {path} within {WAIT:?}; got {:?}",
                self.bodies(path)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn receive(
    State(sink): State<Sink>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let signature = header("x-pusher-signature");
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let problem = if header("content-type") != "application/json" {
        Some(format!("content-type {:?}", header("content-type")))
    } else if header("x-pusher-key") != sink.app.key {
        Some(format!("x-pusher-key {:?}", header("x-pusher-key")))
    } else if !signed(sink.app.secret, &body, &signature) {
        Some(format!("x-pusher-signature {signature:?}"))
    } else if !parsed.as_ref().is_some_and(well_formed) {
        Some(format!("body {:?}", String::from_utf8_lossy(&body)))
    } else {
        None
    };
    let mut record = sink.lock();
    if let Some(problem) = problem {
        record.bad.push(problem);
        return StatusCode::UNAUTHORIZED;
    }
    let path = uri.path().to_owned();
    let events = parsed
        .and_then(|mut b| b["events"].as_array_mut().map(std::mem::take))
        .unwrap_or_default();
    for event in events {
        record.events.push(Received {
            path: path.clone(),
            at,
            event,
        });
    }
    StatusCode::OK
}

/// `{"time_ms": <ms since epoch>, "events": [<objects with a string name>…]}`.
fn well_formed(body: &Value) -> bool {
    let recent = body["time_ms"]
        .as_u64()
        .is_some_and(|ms| ms > 1_600_000_000_000);
    let events = body["events"]
        .as_array()
        .is_some_and(|e| !e.is_empty() && e.iter().all(|e| e["name"].is_string()));
    recent && events
}

fn signed(secret: &str, body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body);
    hex::decode(signature).is_ok_and(|s| mac.verify_slice(&s).is_ok())
}
