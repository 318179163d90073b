//! Webhooks (§6): the registry and sessions [`Webhooks::emit`] what happened; a dedicated dispatcher
//! task filters, delays (grace period for `channel_vacated`/`member_removed`), batches, signs and
//! delivers it with retries. `emit` never waits: events go through a bounded queue, and what does not
//! fit is dropped, logged and counted — a slow or dead endpoint never slows WebSocket traffic.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use resso_protocol::{AppId, ChannelName, SocketId, UserId};
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::WebhookSettings;

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
    dropped: AtomicU64,
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
        let with_hooks: HashSet<AppId> = apps
            .iter()
            .filter(|a| !a.config.webhooks.is_empty())
            .map(|a| a.id.clone())
            .collect();
        if with_hooks.is_empty() {
            return Self::disabled();
        }
        let (tx, rx) = mpsc::channel(settings.queue_capacity);
        tracker.spawn(dispatch(rx, apps, settings, shutdown));
        let inner = Inner {
            tx,
            apps: with_hooks,
            dropped: AtomicU64::new(0),
        };
        Self {
            inner: Some(Arc::new(inner)),
        }
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
        if inner.tx.try_send(emitted).is_err() {
            let dropped = inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(app = %app, dropped, "webhook queue full: event dropped");
        }
    }
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The dispatcher task: to be written (filters, grace delay, batching, signing, retries).
async fn dispatch(
    mut rx: mpsc::Receiver<Emitted>,
    _apps: Arc<Apps>,
    _settings: WebhookSettings,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            next = rx.recv() => if next.is_none() { return },
        }
    }
}
