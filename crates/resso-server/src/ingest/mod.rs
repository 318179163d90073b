//! Laravel's `redis` broadcaster as an event source: for every app with `[apps.ingest]`, one task
//! `PSUBSCRIBE`s `{prefix}*` on the app's Redis and delivers each event to the app's channel, minus
//! the socket named by `socket` (`->toOthers()`). Every node of a cluster subscribes and delivers to
//! its own clients only ([`Registry::publish_here`]), so each subscriber gets each event once.
//! Bad messages are counted and logged (rate-limited) and dropped; a Redis outage is logged and
//! retried with backoff while the rest of the server carries on.
//!
//! - [`message`]: the pure parser of one message.
//! - [`complaints`]: counters and the log throttle.
//! - `task`: the actor owning the Redis subscription.
//! - `stored`: the subscriptions of database apps, started and stopped as the app store holds,
//!   changes and lets go of them.

pub mod complaints;
pub mod message;
mod stored;
mod task;

pub use stored::follow;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::{App, Apps};
use crate::registry::Registry;
use complaints::Stats;

/// Starts one subscription task per app with `[apps.ingest]`, tracked by `tracker` and stopped by
/// `shutdown`.
pub fn start(
    apps: &Apps,
    registry: &Registry,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) {
    for app in apps.snapshot().iter() {
        subscribe(app, registry, shutdown.clone(), tracker);
    }
}

/// Starts `app`'s subscription, if it has `ingest`, until `stop`.
fn subscribe(app: &Arc<App>, registry: &Registry, stop: CancellationToken, tracker: &TaskTracker) {
    let Some(config) = app.config.ingest.clone() else {
        return;
    };
    let subscriber = task::Subscriber {
        app: app.clone(),
        config,
        registry: registry.clone(),
        stats: Arc::new(Stats::default()),
    };
    tracker.spawn(subscriber.run(stop));
}
