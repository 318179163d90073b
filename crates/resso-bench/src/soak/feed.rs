//! The soak's publisher: one HTTP connection, each publish answered before the next is sent, at
//! most `rate` per second — the case where Ressò promises every subscriber the same order as the
//! sends, so a healthy subscriber must see sequence numbers 0, 1, 2, … exactly once each. Each
//! publish goes to all the feed's channels in one request (the healthy and the churners'
//! channels; a second feed sends larger events to the slow consumers' channel).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::payload;
use crate::stats;
use crate::target::Target;

/// How the publishes went, readable while they run.
#[derive(Debug, Default)]
pub struct FeedTally {
    /// Publishes sent (answered or not): numbered `0..sent`.
    pub sent: AtomicU64,
    /// Publishes answered 2xx.
    pub ok: AtomicU64,
    pub errors: AtomicU64,
    pub first_error: Mutex<Option<String>>,
}

/// What each request needs.
pub struct Feed {
    client: reqwest::Client,
    url: String,
    path: String,
    key: String,
    secret: String,
    channels: Vec<String>,
    payload_bytes: usize,
    /// Events per request: 1 (`POST /events` to every channel) or more (`POST /batch_events`,
    /// each event to the first channel).
    batch: usize,
}

impl Feed {
    /// A feed to `channels` of the target's app.
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn new(
        target: &Target,
        channels: &[&str],
        payload_bytes: usize,
        batch: usize,
    ) -> anyhow::Result<Self> {
        let route = if batch > 1 { "batch_events" } else { "events" };
        let path = format!("/apps/{}/{route}", target.app.id);
        Ok(Self {
            client: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(10))
                .build()?,
            url: format!("{}{path}", target.http_base),
            path,
            key: target.app.key.clone(),
            secret: target.app.secret.clone(),
            channels: channels.iter().map(|&c| c.to_owned()).collect(),
            payload_bytes,
            batch,
        })
    }

    /// Publishes `0, 1, 2, …` at most `rate` per second until `stop`.
    pub async fn run(self, rate: f64, tally: Arc<FeedTally>, stop: CancellationToken) {
        let start = Instant::now();
        let mut seq = 0u64;
        while !stop.is_cancelled() {
            #[allow(clippy::cast_precision_loss)]
            let due = start + Duration::from_secs_f64(seq as f64 / rate);
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep_until(due.into()) => {}
            }
            match self.publish(seq).await {
                Ok(()) => tally.ok.fetch_add(1, Relaxed),
                Err(e) => {
                    tally
                        .first_error
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                    tally.errors.fetch_add(1, Relaxed)
                }
            };
            seq += 1;
            tally.sent.store(seq, Relaxed);
        }
    }

    async fn publish(&self, seq: u64) -> Result<(), String> {
        let body = self.body(seq);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let query = resso_protocol::http_sig::signed_query(
            &self.key,
            &self.secret,
            "POST",
            &self.path,
            &[],
            body.as_bytes(),
            now,
        );
        let response = self
            .client
            .post(format!("{}?{query}", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("publish {seq}: {e:#}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(format!("publish {seq}: HTTP {status}: {text:.200}"))
    }

    fn body(&self, seq: u64) -> String {
        let data = payload::data(seq, stats::now_micros(), self.payload_bytes);
        if self.batch <= 1 {
            let body = json!({"name": payload::EVENT, "channels": self.channels, "data": data});
            return body.to_string();
        }
        let event = json!({"name": payload::EVENT, "channel": self.channels[0], "data": data});
        json!({ "batch": vec![event; self.batch] }).to_string()
    }
}
