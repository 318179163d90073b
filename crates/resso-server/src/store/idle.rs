//! Idle apps are let go: a database app held with no open connection on this node and not looked
//! up for [`IDLE_REFRESHES`] refreshes in a row is dropped from memory, and read again (one query)
//! at its next use. So what a node holds is bounded by the apps in use, not by every app ever
//! seen. Only after a refresh that read the list (the database answers): an app is never let go
//! during an outage, when it could not be read again.

use std::collections::HashSet;
use std::sync::PoisonError;

use super::Store;

/// Refreshes (TTLs) an app must go unused before it is let go.
pub const IDLE_REFRESHES: u32 = 5;

impl Store {
    /// Counts one more refresh for each held app that was neither looked up nor connected to
    /// since the last, and lets go of those idle for [`IDLE_REFRESHES`].
    pub(super) fn let_idle_go(&self) {
        let open = self.registry.connection_counts();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let held = self.apps.stored_apps();
        let ids: HashSet<&str> = held.iter().map(|a| a.id.as_str()).collect();
        idle.retain(|id, _| ids.contains(id.as_str()));
        let mut gone = Vec::new();
        for app in &held {
            let used = app.take_used() || open.get(&app.id).is_some_and(|n| *n > 0);
            let id = app.id.as_str().to_owned();
            if used {
                idle.remove(&id);
                continue;
            }
            let refreshes = idle.entry(id.clone()).or_insert(0);
            *refreshes += 1;
            if *refreshes >= IDLE_REFRESHES {
                idle.remove(&id);
                gone.push(app.id.clone());
            }
        }
        drop(idle);
        for id in gone {
            if let Some(app) = self.apps.remove_stored(&id) {
                tracing::info!(app = %id, "database app idle: let go until its next use");
                self.let_go(&app);
            }
        }
    }
}
