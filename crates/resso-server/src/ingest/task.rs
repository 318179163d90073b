//! The actor owning one app's Redis subscription: connect, `PSUBSCRIBE`, deliver until the
//! connection drops, then log and reconnect with exponential backoff (reset once subscribed again).
//! It never blocks anything else: delivery is the registry's synchronous, non-waiting fan-out.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::complaints::{Stats, Throttle};
use super::message::{self, Rejection};
use crate::apps::App;
use crate::config::IngestConfig;
use crate::metrics::Ingested;
use crate::registry::Registry;

const BACKOFF_MIN: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Why a subscription session ended.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("{0}")]
    Redis(#[from] redis::RedisError),
    #[error("the connection closed")]
    Closed,
}

/// Everything the task owns.
pub struct Subscriber {
    pub app: Arc<App>,
    pub config: IngestConfig,
    pub registry: Registry,
    pub stats: Arc<Stats>,
}

impl Subscriber {
    /// Subscribes, and re-subscribes after every failure, until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut delay = BACKOFF_MIN;
        let mut throttle = Throttle::default();
        loop {
            let session = tokio::select! {
                () = shutdown.cancelled() => return,
                result = self.session(&mut delay, &mut throttle) => result,
            };
            self.stats.outage();
            self.app.meters.ingest_reconnecting();
            tracing::warn!(
                app = %self.app.id,
                "laravel redis ingestion: redis unavailable ({session}); retrying in {delay:?}"
            );
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(BACKOFF_MAX);
        }
    }

    /// One connection: subscribe, then deliver until it fails. Only returns with an error.
    async fn session(&self, delay: &mut Duration, throttle: &mut Throttle) -> SessionError {
        let client = match redis::Client::open(self.config.url.as_str()) {
            Ok(client) => client,
            Err(e) => return e.into(),
        };
        let mut pubsub = match client.get_async_pubsub().await {
            Ok(pubsub) => pubsub,
            Err(e) => return e.into(),
        };
        let pattern = self.config.pattern();
        if let Err(e) = pubsub.psubscribe(&pattern).await {
            return e.into();
        }
        tracing::info!(app = %self.app.id, "laravel redis ingestion: subscribed to {pattern:?}");
        *delay = BACKOFF_MIN;
        let mut messages = pubsub.on_message();
        while let Some(msg) = messages.next().await {
            self.handle(msg.get_channel_name(), msg.get_payload_bytes(), throttle);
        }
        SessionError::Closed
    }

    fn handle(&self, channel: &str, payload: &[u8], throttle: &mut Throttle) {
        match message::parse(channel, payload, &self.config.prefix, &self.app.limits) {
            Ok(event) => {
                self.stats.delivered();
                self.app.meters.ingested(Ingested::Delivered);
                self.registry.publish_here(
                    &self.app,
                    &event.channel,
                    &event.name,
                    event.data,
                    event.except,
                );
            }
            Err(rejection) => self.reject(&rejection, throttle),
        }
    }

    fn reject(&self, rejection: &Rejection, throttle: &mut Throttle) {
        self.stats.rejected();
        self.app.meters.ingested(Ingested::Rejected);
        if let Some(suppressed) = throttle.allow(Instant::now()) {
            let total = self.stats.counts().rejected;
            tracing::warn!(
                app = %self.app.id,
                suppressed,
                total,
                "laravel redis ingestion: dropped a message: {rejection}"
            );
        }
    }
}
