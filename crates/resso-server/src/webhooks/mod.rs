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
use std::sync::Arc;

use resso_protocol::{AppId, ChannelName, SocketId, UserId};
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::WebhookSettings;
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
    tx: mpsc::Sender<Emitted>,
    /// Apps with at least one webhook: others are not queued at all.
    apps: HashSet<AppId>,
    counters: Arc<Counters>,
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
        let endpoints = Arc::new(Endpoints::new(&apps));
        if endpoints.is_empty() {
            return Self::disabled();
        }
        let with_hooks: HashSet<AppId> = apps
            .iter()
            .filter(|a| !a.config.webhooks.is_empty())
            .map(|a| a.id.clone())
            .collect();
        let counters = Arc::new(Counters::default());
        let deliverer = Deliverer::new(
            endpoints.clone(),
            &settings,
            counters.clone(),
            shutdown.clone(),
            tracker.clone(),
        );
        let dispatcher = Dispatcher::new(endpoints, &settings);
        // `mpsc::channel` refuses a capacity of 0; the smallest queue holds one event.
        let (tx, rx) = mpsc::channel(settings.queue_capacity.max(1));
        tracker.spawn(dispatcher.run(rx, shutdown, move |ready| deliverer.send(ready)));
        let inner = Inner {
            tx,
            apps: with_hooks,
            counters,
        };
        Self {
            inner: Some(Arc::new(inner)),
        }
    }

    /// How many events were delivered, given up and dropped so far (all zero when disabled).
    #[must_use]
    pub fn stats(&self) -> WebhookStats {
        self.inner
            .as_ref()
            .map_or_else(WebhookStats::default, |inner| inner.counters.snapshot())
    }

    /// Reports `event` of `app`; never waits.
    pub fn emit(&self, app: &AppId, event: HookEvent) {
        let Some(inner) = &self.inner else {
            return;
        };
        if !inner.apps.contains(app) {
            return;
        }
        let emitted = Emitted {
            app: app.clone(),
            event,
            time_ms: now_ms(),
        };
        match inner.tx.try_send(emitted) {
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

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
