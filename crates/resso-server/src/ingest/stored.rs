//! The Redis ingestion of database apps: each time the app store signals a change of the apps it
//! holds, the subscriptions are made to match — one per enabled stored app with `ingest`,
//! restarted when its app changed (a new `Arc<App>`: its settings or limits), stopped when the
//! app is disabled, deleted or let go as idle.

use std::collections::HashMap;
use std::sync::Arc;

use resso_protocol::AppId;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::subscribe;
use crate::apps::{App, Apps};
use crate::registry::Registry;

/// The subscriptions running, by app: the app they run for and how to stop them.
type Running = HashMap<AppId, (Arc<App>, CancellationToken)>;

/// Follows `changes` until shutdown (or until the store is gone).
pub async fn follow(
    apps: Arc<Apps>,
    registry: Registry,
    mut changes: watch::Receiver<()>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    let mut running = Running::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = changes.changed() => if changed.is_err() { return },
        }
        let wanted = apps
            .stored_apps()
            .into_iter()
            .filter(|a| a.config.enabled && a.config.ingest.is_some());
        let wanted: HashMap<AppId, Arc<App>> = wanted.map(|a| (a.id.clone(), a)).collect();
        running.retain(|id, (app, stop)| {
            let keep = wanted.get(id).is_some_and(|w| Arc::ptr_eq(w, app));
            if !keep {
                stop.cancel();
                tracing::info!(app = %id, "laravel redis ingestion: stopped");
            }
            keep
        });
        for (id, app) in wanted {
            if running.contains_key(&id) {
                continue;
            }
            let stop = shutdown.child_token();
            subscribe(&app, &registry, stop.clone(), &tracker);
            running.insert(id, (app, stop));
        }
    }
}
