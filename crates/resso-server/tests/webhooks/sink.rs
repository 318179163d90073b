//! A webhook endpoint on port 0 that checks every request the way pusher-http-node's `WebHook`
//! does (exact `Content-Type`, `X-Pusher-Key`, HMAC over the raw body), records it, and can answer
//! 500 to the first requests to exercise retries.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::watch;

use crate::{SECRET, WAIT};

/// One request the sink received, and what it answered.
#[derive(Debug, Clone)]
pub struct Hook {
    pub path: String,
    pub at: Instant,
    pub body: Value,
    pub signature: String,
    pub answered: StatusCode,
}

#[derive(Default)]
struct Record {
    hooks: Vec<Hook>,
    /// Requests that failed a check, with the reason.
    bad: Vec<String>,
    fail_first: usize,
}

/// A webhook endpoint on 127.0.0.1:0.
#[derive(Clone)]
pub struct Sink {
    record: Arc<Mutex<Record>>,
    seen: watch::Sender<usize>,
    base: String,
}

impl Sink {
    pub async fn start(fail_first: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let record = Record {
            fail_first,
            ..Record::default()
        };
        let sink = Self {
            record: Arc::new(Mutex::new(record)),
            seen: watch::Sender::new(0),
            base,
        };
        let app = Router::new().fallback(receive).with_state(sink.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        sink
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until `n` requests have arrived; panics after [`WAIT`].
    pub async fn wait_for(&self, n: usize) -> Vec<Hook> {
        let mut seen = self.seen.subscribe();
        tokio::time::timeout(WAIT, seen.wait_for(|k| *k >= n))
            .await
            .unwrap_or_else(|_| panic!("fewer than {n} webhooks: {:?}", self.hooks()))
            .unwrap();
        self.hooks()
    }

    pub fn hooks(&self) -> Vec<Hook> {
        let record = self.record.lock().unwrap();
        assert!(record.bad.is_empty(), "bad webhooks: {:?}", record.bad);
        record.hooks.clone()
    }

    pub fn delivered(&self, path: &str) -> Vec<Value> {
        let hooks = self.hooks().into_iter();
        hooks
            .filter(|h| h.path == path && h.answered == StatusCode::OK)
            .map(|h| h.body)
            .collect()
    }
}

async fn receive(
    State(sink): State<Sink>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let signature = header("x-pusher-signature").to_owned();
    let problem = if header("content-type") != "application/json" {
        Some(format!("content-type {:?}", header("content-type")))
    } else if header("x-pusher-key") != "app-key" {
        Some(format!("key {:?}", header("x-pusher-key")))
    } else if !signed(&body, &signature) {
        Some(format!("signature {signature:?}"))
    } else {
        None
    };
    let mut record = sink.record.lock().unwrap();
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
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signature,
        answered,
    });
    let n = record.hooks.len();
    drop(record);
    sink.seen.send_replace(n);
    answered
}

/// Checks the signature independently of the server's code.
fn signed(body: &[u8], signature: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    hex::decode(signature).is_ok_and(|s| mac.verify_slice(&s).is_ok())
}
