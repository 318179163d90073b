//! Webhooks (§6): the registry and sessions [`Webhooks::emit`] what happened; a dedicated dispatcher
//! task filters, delays (grace period for `channel_vacated`/`member_removed`), batches, signs and
//! delivers it with retries. `emit` never waits: events go through a bounded queue, and what does not
//! fit is dropped, logged and counted — a slow or dead endpoint never slows WebSocket traffic.
//!
//! Inside: `payload` (wire format and signature), `grace` and `batch` (pure state machines over tokio
//! instants), `endpoint` (the endpoint table and its filters), `dispatcher` (the task's loop),
//! `deliver` (signed POSTs with retries), `stats` (what became of every event).

mod batch;
mod deliver;
mod dispatcher;
mod endpoint;
mod grace;
mod payload;
mod stats;

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use resso_protocol::{AppId, ChannelName, SocketId, UserId};
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::WebhookSettings;
use crate::metrics::{Histogram, Text};
use deliver::Deliverer;
use dispatcher::Dispatcher;
use endpoint::Endpoints;
use stats::Counters;
pub use stats::WebhookStats;

/// A webhook-visible fact: a channel occupied, or a member present in a channel. The grace delay
/// holds events per fact, and a cluster's leader remembers the facts it reported gone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fact {
    Channel(AppId, ChannelName),
    Member(AppId, ChannelName, UserId),
}

/// Something a webhook may report.
#[derive(Debug, Clone)]
pub enum HookEvent {
    ChannelOccupied {
        channel: ChannelName,
    },
    ChannelVacated {
        channel: ChannelName,
    },
    MemberAdded {
        channel: ChannelName,
        user_id: UserId,
    },
    MemberRemoved {
        channel: ChannelName,
        user_id: UserId,
    },
    ClientEvent {
        channel: ChannelName,
        event: String,
        data: Option<Box<RawValue>>,
        socket_id: SocketId,
        user_id: Option<UserId>,
    },
    CacheMiss {
        channel: ChannelName,
    },
    SubscriptionCount {
        channel: ChannelName,
        count: usize,
    },
}

/// An event on its way to the dispatcher, stamped when it happened.
#[derive(Debug)]
pub struct Emitted {
    pub app: AppId,
    pub event: HookEvent,
    pub time_ms: u64,
}

/// Handle for emitting webhook events; cheap to clone.
#[derive(Clone, Default)]
pub struct Webhooks {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    /// The running dispatcher, `None` while no app has webhooks; replaced by a reload.
    pipeline: RwLock<Option<Pipeline>>,
    counters: Arc<Counters>,
    settings: WebhookSettings,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

/// One dispatcher and deliverer, for one generation of the apps' endpoints.
struct Pipeline {
    tx: mpsc::Sender<Emitted>,
    /// Apps with at least one webhook: others are not queued at all.
    apps: HashSet<AppId>,
}

impl Webhooks {
    /// A handle that reports nothing (no app has webhooks).
    #[must_use]
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Starts the dispatcher task (tracked by `tracker`, stopped by `shutdown`) when any app has
    /// webhooks.
    #[must_use]
    pub fn start(
        apps: Arc<Apps>,
        settings: WebhookSettings,
        shutdown: CancellationToken,
        tracker: &TaskTracker,
    ) -> Self {
        let inner = Inner {
            pipeline: RwLock::new(None),
            counters: Arc::default(),
            settings,
            shutdown,
            tracker: tracker.clone(),
        };
        *inner
            .pipeline
            .write()
            .unwrap_or_else(PoisonError::into_inner) = inner.pipeline_of(&apps);
        Self {
            inner: Some(Arc::new(inner)),
        }
    }

    /// Takes the endpoints of `apps` as they are now. The previous dispatcher, its queue closed,
    /// flushes what it holds (events in their grace delay are sent at once) and ends.
    pub fn reload(&self, apps: &Apps) {
        if let Some(inner) = &self.inner {
            let next = inner.pipeline_of(apps);
            *inner
                .pipeline
                .write()
                .unwrap_or_else(PoisonError::into_inner) = next;
        }
    }

    /// How many events were delivered, given up and dropped so far (all zero when disabled).
    #[must_use]
    pub fn stats(&self) -> WebhookStats {
        self.inner
            .as_ref()
            .map_or_else(WebhookStats::default, |inner| inner.counters.snapshot())
    }

    /// Delivered and failed events so far, by type: (name, delivered, failed).
    #[must_use]
    pub fn sent_by_type(&self) -> Vec<(&'static str, u64, u64)> {
        let counts = self
            .inner
            .as_ref()
            .map_or_else(Default::default, |inner| inner.counters.by_type());
        payload::NAMES
            .iter()
            .zip(counts)
            .map(|(name, (delivered, failed))| (*name, delivered, failed))
            .collect()
    }

    /// Events waiting for delivery: queued for the dispatcher, or in batches being sent or
    /// retried (not those held on purpose by the grace delay or a batch window).
    #[must_use]
    pub fn queue_depth(&self) -> u64 {
        let Some(inner) = &self.inner else {
            return 0;
        };
        let pipeline = inner
            .pipeline
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let queued = pipeline
            .as_ref()
            .map_or(0, |p| p.tx.max_capacity() - p.tx.capacity());
        queued as u64 + inner.counters.in_delivery()
    }

    /// Writes the request-duration histogram of every delivery (empty when disabled).
    pub fn render_attempts(&self, text: &mut Text, name: &str, labels: &[(&str, &str)]) {
        match &self.inner {
            Some(inner) => inner.counters.render_attempts(text, name, labels),
            None => Histogram::default().render(text, name, labels),
        }
    }

    /// Reports `event` of `app`; never waits.
    pub fn emit(&self, app: &AppId, event: HookEvent) {
        let Some(inner) = &self.inner else {
            return;
        };
        let pipeline = inner
            .pipeline
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(pipeline) = pipeline.as_ref().filter(|p| p.apps.contains(app)) else {
            return;
        };
        let emitted = Emitted {
            app: app.clone(),
            event,
            time_ms: now_ms(),
        };
        match pipeline.tx.try_send(emitted) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let dropped = inner.counters.dropped(1);
                // Logged at 1, 2, 4, 8 … drops, so an overload cannot flood the log.
                if dropped.is_power_of_two() {
                    tracing::warn!(app = %app, dropped, "webhook queue full: event dropped");
                }
            }
            Err(TrySendError::Closed(_)) => {
                inner.counters.dropped(1);
                tracing::debug!(app = %app, "webhook dispatcher stopped: event dropped");
            }
        }
    }
}

impl Inner {
    /// A dispatcher and deliverer for the endpoints of `apps`; `None` when there are none.
    fn pipeline_of(&self, apps: &Apps) -> Option<Pipeline> {
        let endpoints = Arc::new(Endpoints::new(apps));
        if endpoints.is_empty() {
            return None;
        }
        let with_hooks: HashSet<AppId> = apps
            .snapshot()
            .iter()
            .filter(|a| !a.config.webhooks.is_empty())
            .map(|a| a.id.clone())
            .collect();
        let deliverer = Deliverer::new(
            endpoints.clone(),
            &self.settings,
            self.counters.clone(),
            self.shutdown.clone(),
            self.tracker.clone(),
        );
        let dispatcher = Dispatcher::new(endpoints, &self.settings);
        // `mpsc::channel` refuses a capacity of 0; the smallest queue holds one event.
        let (tx, rx) = mpsc::channel(self.settings.queue_capacity.max(1));
        let run = dispatcher.run(rx, self.shutdown.clone(), move |ready| {
            deliverer.send(ready)
        });
        self.tracker.spawn(run);
        Some(Pipeline {
            tx,
            apps: with_hooks,
        })
    }
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
