//! Delivery: each ready batch becomes one signed POST in its own task, retried with exponential
//! backoff (1 s, 2 s, 4 s … capped at 60 s) until `retry_for_secs` has passed, then logged and counted
//! as failed. Each endpoint has its own small limits — attempts in flight and batches waiting — so a
//! slow or dead endpoint only ever delays itself; a batch beyond its backlog is dropped and counted.
//! After shutdown a failed attempt is not retried, so the final flush makes one attempt.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::CONTENT_TYPE;
use tokio::sync::Semaphore;
use tokio::time::{sleep, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::batch::Ready;
use super::endpoint::Endpoints;
use super::payload;
use super::stats::{Counters, TypeCounts};
use crate::config::WebhookSettings;
use crate::tap::{Entry, Tap};

/// First pause after a failed attempt; each later pause doubles, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Requests one endpoint may have in flight at once.
const ATTEMPTS_PER_ENDPOINT: usize = 4;
/// Batches one endpoint may have being sent or waiting to be retried before new ones are dropped.
const BACKLOG_PER_ENDPOINT: usize = 256;

/// Why one attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error("endpoint answered {0}")]
    Status(reqwest::StatusCode),
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
}

/// Per-endpoint limits.
struct Gate {
    backlog: Arc<Semaphore>,
    attempts: Arc<Semaphore>,
}

/// Spawns one delivery task per ready batch; owned by the dispatcher.
pub struct Deliverer {
    client: reqwest::Client,
    endpoints: Arc<Endpoints>,
    gates: Vec<Gate>,
    counters: Arc<Counters>,
    timeout: Duration,
    retry_for: Duration,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Deliverer {
    #[must_use]
    pub fn new(
        endpoints: Arc<Endpoints>,
        settings: &WebhookSettings,
        counters: Arc<Counters>,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Self {
        let gates = (0..endpoints.len())
            .map(|_| Gate {
                backlog: Arc::new(Semaphore::new(BACKLOG_PER_ENDPOINT)),
                attempts: Arc::new(Semaphore::new(ATTEMPTS_PER_ENDPOINT)),
            })
            .collect();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("resso/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client without TLS always builds");
        Self {
            client,
            endpoints,
            gates,
            counters,
            timeout: Duration::from_secs(settings.timeout_secs),
            retry_for: Duration::from_secs(settings.retry_for_secs),
            shutdown,
            tracker,
        }
    }

    /// Signs `ready` and delivers it in a task of its own; never waits.
    pub fn send(&self, ready: Ready) {
        let endpoint = self.endpoints.get(ready.endpoint);
        let gate = &self.gates[ready.endpoint];
        let events = ready.events.len();
        let Ok(backlog) = gate.backlog.clone().try_acquire_owned() else {
            let dropped = self.counters.dropped(events);
            let url = &endpoint.config.url;
            tracing::warn!(%url, events, dropped, "webhook backlog full: batch dropped");
            return;
        };
        let body = payload::body(ready.time_ms, &ready.events);
        let tap = endpoint.app.tap.clone();
        let shown = if tap.is_watched() {
            Entry::clip(&ready.events.join(","))
        } else {
            String::new()
        };
        let mut types = TypeCounts::default();
        for index in ready.events.iter().filter_map(|e| payload::name_index(e)) {
            types[index] += 1;
        }
        let task = Task {
            client: self.client.clone(),
            url: endpoint.config.url.clone(),
            key: endpoint.app.key.to_string(),
            signature: payload::signature(&endpoint.app.config.secret, &body),
            body: Bytes::from(body),
            events,
            attempts: gate.attempts.clone(),
            counters: self.counters.clone(),
            timeout: self.timeout,
            tap,
            shown,
            types,
        };
        let (retry_for, shutdown) = (self.retry_for, self.shutdown.clone());
        self.counters.sending(events);
        self.tracker.spawn(async move {
            task.run(retry_for, &shutdown).await;
            drop(backlog);
        });
    }
}

/// One batch on its way to one endpoint.
struct Task {
    client: reqwest::Client,
    url: String,
    key: String,
    signature: String,
    body: Bytes,
    events: usize,
    attempts: Arc<Semaphore>,
    counters: Arc<Counters>,
    timeout: Duration,
    /// The app's tap, and the events as it shows them (empty when nobody watched).
    tap: Arc<Tap>,
    shown: String,
    /// How many events of each type the batch carries.
    types: TypeCounts,
}

impl Task {
    async fn run(self, retry_for: Duration, shutdown: &CancellationToken) {
        let result = with_retries(retry_for, shutdown, || self.attempt()).await;
        self.counters.sent(self.events);
        match result {
            Ok(()) => {
                self.counters.delivered(self.events, &self.types);
                self.tap.emit(|| Entry::WebhookSent {
                    url: self.url.clone(),
                    events: self.shown.clone(),
                });
            }
            Err(error) => {
                let (url, events) = (&self.url, self.events);
                tracing::warn!(%url, events, %error, "webhook given up");
                self.counters.failed(events, &self.types);
                self.tap.emit(|| Entry::WebhookFailed {
                    url: url.clone(),
                    events: self.shown.clone(),
                    error: error.to_string(),
                });
            }
        }
    }

    /// One request, timed from when this endpoint had room for it.
    async fn attempt(&self) -> Result<(), AttemptError> {
        let _permit = self.attempts.acquire().await.expect("never closed");
        let started = Instant::now();
        let result = self.request().await;
        self.counters.attempted(started.elapsed());
        result
    }

    async fn request(&self) -> Result<(), AttemptError> {
        let response = self
            .client
            .post(&self.url)
            .timeout(self.timeout)
            .header(CONTENT_TYPE, "application/json")
            .header("X-Pusher-Key", &self.key)
            .header("X-Pusher-Signature", &self.signature)
            .body(self.body.clone())
            .send()
            .await?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(AttemptError::Status(status))
        }
    }
}

/// Runs `attempt` until it succeeds, pausing with exponential backoff between failures; gives up
/// with the last error once `retry_for` has passed since the first attempt, or when `shutdown` is
/// cancelled.
pub async fn with_retries<F, Fut, E>(
    retry_for: Duration,
    shutdown: &CancellationToken,
    mut attempt: F,
) -> Result<(), E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let give_up_at = Instant::now() + retry_for;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let Err(error) = attempt().await else {
            return Ok(());
        };
        let now = Instant::now();
        if now >= give_up_at || shutdown.is_cancelled() {
            return Err(error);
        }
        let pause = backoff.min(give_up_at - now);
        tracing::debug!(%error, ?pause, "webhook attempt failed; retrying");
        tokio::select! {
            () = shutdown.cancelled() => return Err(error),
            () = sleep(pause) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Fails the first `failures` attempts, recording when each attempt started.
    async fn run(
        failures: usize,
        retry_for: u64,
        shutdown: &CancellationToken,
    ) -> (bool, Vec<u64>) {
        let t0 = Instant::now();
        let starts = RefCell::new(Vec::new());
        let result = with_retries(Duration::from_secs(retry_for), shutdown, || {
            starts.borrow_mut().push(t0.elapsed().as_secs());
            let fail = starts.borrow().len() <= failures;
            async move {
                if fail {
                    Err("no")
                } else {
                    Ok(())
                }
            }
        })
        .await;
        (result.is_ok(), starts.into_inner())
    }

    #[tokio::test(start_paused = true)]
    async fn backs_off_exponentially_until_success() {
        let (ok, starts) = run(3, 300, &CancellationToken::new()).await;
        assert!(ok);
        assert_eq!(starts, [0, 1, 3, 7]);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_when_the_retry_time_has_passed() {
        let (ok, starts) = run(usize::MAX, 5, &CancellationToken::new()).await;
        assert!(!ok);
        assert_eq!(starts, [0, 1, 3, 5]);
        let (ok, starts) = run(usize::MAX, 0, &CancellationToken::new()).await;
        assert!(!ok);
        assert_eq!(starts, [0]);
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_is_capped_at_a_minute() {
        let (ok, starts) = run(usize::MAX, 200, &CancellationToken::new()).await;
        assert!(!ok);
        assert_eq!(starts, [0, 1, 3, 7, 15, 31, 63, 123, 183, 200]);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_stops_retrying() {
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let (ok, starts) = run(usize::MAX, 300, &shutdown).await;
        assert!(!ok);
        assert_eq!(starts, [0]);
    }
}
