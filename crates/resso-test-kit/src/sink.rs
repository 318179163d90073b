//! [`Sink`]: the one webhook endpoint of every test binary, on 127.0.0.1:0. It checks each request
//! the way pusher-http-node's `WebHook` does (`Content-Type` exactly `application/json`,
//! `X-Pusher-Key`, `X-Pusher-Signature` = hex HMAC-SHA256 of the raw body with the app secret,
//! computed here independently of the server) and that the body is `{"time_ms","events":[…]}`,
//! records every request in arrival order, and can answer 500 to the first ones to exercise
//! retries. Waits are woken by each arrival, never by polling.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::TestApp;

/// How long an expected webhook may take (the tests' grace and batch windows are far shorter).
const WAIT: Duration = Duration::from_secs(10);

/// One request as received, and what the sink answered.
#[derive(Debug, Clone)]
pub struct Hook {
    pub path: String,
    pub at: Instant,
    pub body: Value,
    pub signature: String,
    pub answered: StatusCode,
}

/// One webhook event of a request the sink accepted.
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
    hooks: Vec<Hook>,
    /// Requests that failed a check, with the reason.
    bad: Vec<String>,
    fail_first: usize,
}

/// A recording webhook endpoint for one app.
#[derive(Clone)]
pub struct Sink {
    record: Arc<Mutex<Record>>,
    /// How many requests have arrived: what the waits watch.
    arrived: watch::Sender<usize>,
    app: TestApp,
    base: String,
}

impl Sink {
    pub async fn start(app: TestApp) -> Self {
        Self::failing_first(app, 0).await
    }

    /// A sink that answers 500 to its first `n` requests.
    pub async fn failing_first(app: TestApp, n: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the sink");
        let base = format!("http://{}", listener.local_addr().expect("sink address"));
        let record = Record {
            fail_first: n,
            ..Record::default()
        };
        let sink = Self {
            record: Arc::new(Mutex::new(record)),
            arrived: watch::Sender::new(0),
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

    fn lock(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every request so far; panics if any failed a check.
    pub fn hooks(&self) -> Vec<Hook> {
        let record = self.lock();
        assert!(
            record.bad.is_empty(),
            "bad webhook requests: {:?}",
            record.bad
        );
        record.hooks.clone()
    }

    /// Waits until `n` requests have arrived; panics after [`WAIT`].
    pub async fn wait_for_requests(&self, n: usize) -> Vec<Hook> {
        let enough = self.wait_until(WAIT, |s| s.hooks().len() >= n).await;
        assert!(enough, "fewer than {n} webhooks: {:?}", self.hooks());
        self.hooks()
    }

    /// The bodies of the requests to `path` answered 200.
    pub fn delivered(&self, path: &str) -> Vec<Value> {
        let hooks = self.hooks().into_iter();
        hooks
            .filter(|h| h.path == path && h.answered == StatusCode::OK)
            .map(|h| h.body)
            .collect()
    }

    /// Every event accepted so far, in arrival order.
    fn received(&self) -> Vec<Received> {
        let accepted = self
            .hooks()
            .into_iter()
            .filter(|h| h.answered == StatusCode::OK);
        accepted
            .flat_map(|h| {
                let events = h.body["events"].as_array().cloned().unwrap_or_default();
                let (path, at) = (h.path, h.at);
                events.into_iter().map(move |event| Received {
                    path: path.clone(),
                    at,
                    event,
                })
            })
            .collect()
    }

    /// Every event posted to `path` so far.
    pub fn events(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The event objects posted to `path` so far.
    pub fn bodies(&self, path: &str) -> Vec<Value> {
        self.events(path).into_iter().map(|r| r.event).collect()
    }

    /// Waits for the first event on `path` matching `wanted`; panics after [`WAIT`].
    pub async fn wait_for(&self, path: &str, wanted: impl Fn(&Value) -> bool) -> Received {
        let find = |s: &Self| s.events(path).into_iter().find(|r| wanted(&r.event));
        let found = self.wait_until(WAIT, |s| find(s).is_some()).await;
        assert!(
            found,
            "no matching webhook on {path} within {WAIT:?}; got {:?}",
            self.bodies(path)
        );
        find(self).expect("found above")
    }

    /// Every event (on any path) received at or after `since`.
    pub fn events_since(&self, since: Instant) -> Vec<Value> {
        let received = self.received().into_iter().filter(|r| r.at >= since);
        received.map(|r| r.event).collect()
    }

    /// How many events since `since` are `name` on `channel` (for `user`, when given).
    pub fn count(&self, since: Instant, name: &str, channel: &str, user: Option<&str>) -> usize {
        let events = self.events_since(since);
        let matches = |e: &&Value| {
            e["name"] == name && e["channel"] == channel && user.is_none_or(|u| e["user_id"] == u)
        };
        events.iter().filter(matches).count()
    }

    /// Waits up to `wait` for a first `name` event on `channel` (for `user`) since `since`.
    pub async fn wait_for_event(
        &self,
        since: Instant,
        (name, channel, user): (&str, &str, Option<&str>),
        wait: Duration,
    ) {
        let seen = |s: &Self| s.count(since, name, channel, user) > 0;
        assert!(
            self.wait_until(wait, seen).await,
            "no {name} webhook for {channel} {user:?} within {wait:?}; got {:?}",
            self.events_since(since)
        );
    }

    /// Waits up to `wait` until `done` holds, checking at each arrival; whether it came to hold.
    async fn wait_until(&self, wait: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let arrived = self.arrived.subscribe();
        tokio::time::timeout(wait, watch_until(arrived, self, done))
            .await
            .is_ok()
    }
}

async fn watch_until(
    mut arrived: watch::Receiver<usize>,
    sink: &Sink,
    done: impl Fn(&Sink) -> bool,
) {
    loop {
        arrived.mark_unchanged();
        if done(sink) {
            return;
        }
        if arrived.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

async fn receive(
    State(sink): State<Sink>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        let value = headers.get(name).and_then(|v| v.to_str().ok());
        value.unwrap_or("").to_owned()
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
    let answered = if let Some(problem) = problem {
        record.bad.push(problem);
        StatusCode::UNAUTHORIZED
    } else if record.hooks.len() < record.fail_first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    record.hooks.push(Hook {
        path: uri.path().to_owned(),
        at: Instant::now(),
        body: parsed.unwrap_or(Value::Null),
        signature,
        answered,
    });
    let n = record.hooks.len();
    drop(record);
    sink.arrived.send_replace(n);
    answered
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

/// Checks the signature independently of the server's code.
fn signed(secret: &str, body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body);
    hex::decode(signature).is_ok_and(|s| mac.verify_slice(&s).is_ok())
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use serde_json::json;
    use sha2::Sha256;

    use super::Sink;
    use crate::MAIN;

    /// Posts `body` to the sink's `/hooks` as Ressò does, signed with `secret`; the status.
    async fn post(sink: &Sink, body: &str, secret: &str) -> u16 {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
        mac.update(body.as_bytes());
        let response = reqwest::Client::new()
            .post(sink.url("/hooks"))
            .header("content-type", "application/json")
            .header("x-pusher-key", MAIN.key)
            .header(
                "x-pusher-signature",
                hex::encode(mac.finalize().into_bytes()),
            )
            .body(body.to_owned())
            .send()
            .await
            .expect("POST to the sink");
        response.status().as_u16()
    }

    fn body() -> String {
        let event = json!({"name": "channel_occupied", "channel": "news"});
        json!({"time_ms": 1_700_000_000_000_u64, "events": [event]}).to_string()
    }

    #[tokio::test]
    async fn a_signed_request_is_recorded_and_its_events_are_found() {
        let sink = Sink::failing_first(MAIN, 1).await;
        assert_eq!(post(&sink, &body(), MAIN.secret).await, 500);
        assert_eq!(post(&sink, &body(), MAIN.secret).await, 200);
        assert_eq!(sink.wait_for_requests(2).await.len(), 2);
        assert_eq!(sink.delivered("/hooks").len(), 1, "only the answered one");
        let found = sink.wait_for("/hooks", |e| e["channel"] == "news").await;
        assert_eq!(found.event["name"], "channel_occupied");
    }

    #[tokio::test]
    #[should_panic(expected = "bad webhook requests")]
    async fn a_request_signed_with_another_secret_fails_the_test() {
        let sink = Sink::start(MAIN).await;
        assert_eq!(post(&sink, &body(), "not-the-secret").await, 401);
        sink.hooks();
    }
}
