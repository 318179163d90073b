//! A configuration reload (SIGHUP): the apps — credentials, switches, limits, origins, Socket.IO
//! endpoints — and their webhooks are replaced in place. Connections of an app removed or disabled
//! are closed with 4003; connections of an unchanged or changed app stay open (a changed app's keep
//! the settings they were admitted with until they reconnect). What only a restart applies (the
//! listening address, `[server]`, `[cluster]`, `[metrics]`, `[app_store]`, an app's Redis ingestion) is named in
//! a warning and otherwise left as it runs. The new configuration was loaded and validated whole by
//! the caller, so an invalid one never gets here.

use std::sync::Arc;

use resso_protocol::ErrorCode;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::apps::{Apps, Replaced};
use crate::config::{AppConfig, Config};
use crate::registry::Registry;

/// What a reload works on.
pub(super) struct Running {
    pub config: Config,
    pub apps: Arc<Apps>,
    pub registry: Registry,
}

/// Applies each configuration from `reloads` until shutdown.
pub(super) async fn serve(
    mut running: Running,
    mut reloads: mpsc::Receiver<Config>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            next = reloads.recv() => match next {
                Some(next) => running.apply(next),
                None => return,
            },
        }
    }
}

impl Running {
    fn apply(&mut self, next: Config) {
        let restart = needs_restart(&self.config, &next);
        let had_hooks = with_webhooks(&self.config.apps);
        let replaced = self.apps.replace(&next.apps);
        if hooks_changed(&replaced, &had_hooks, &with_webhooks(&next.apps)) {
            self.registry.webhooks().reload(&self.apps);
        }
        let mut closed = 0;
        for id in &replaced.removed {
            closed += self.registry.close_app(id, ErrorCode::AppDisabled);
        }
        tracing::info!(
            added = ?names(&replaced.added),
            changed = ?names(&replaced.changed),
            removed = ?names(&replaced.removed),
            closed,
            "configuration reloaded"
        );
        if !restart.is_empty() {
            tracing::warn!(
                "configuration reloaded, but {} changed: that takes effect at the next restart",
                restart.join(", ")
            );
        }
        self.config.apps = next.apps;
    }
}

/// The sections a reload does not apply that differ between `old` and `new`.
fn needs_restart(old: &Config, new: &Config) -> Vec<String> {
    let mut changed: Vec<String> = [
        ("[server]", differ(&old.server, &new.server)),
        ("[cluster]", differ(&old.cluster, &new.cluster)),
        ("[metrics]", differ(&old.metrics, &new.metrics)),
        ("[app_store]", differ(&old.app_store, &new.app_store)),
    ]
    .into_iter()
    .filter(|(_, differs)| *differs)
    .map(|(name, _)| name.to_owned())
    .collect();
    for app in &new.apps {
        let before = old.apps.iter().find(|a| a.id == app.id);
        let ingest_before = before.and_then(|a| a.ingest.as_ref());
        if differ(&ingest_before, &app.ingest.as_ref()) {
            changed.push(format!("the Redis ingestion of app {}", app.id));
        }
    }
    changed
}

fn differ<T: Serialize>(a: &T, b: &T) -> bool {
    serde_json::to_value(a).ok() != serde_json::to_value(b).ok()
}

/// The ids of the apps that have webhooks.
fn with_webhooks(apps: &[AppConfig]) -> Vec<&str> {
    let hooked = apps.iter().filter(|a| !a.webhooks.is_empty());
    hooked.map(|a| a.id.as_str()).collect()
}

/// Whether an app that has (or had) webhooks was added, changed or removed: its endpoints, or
/// the secret they are signed with, may differ.
fn hooks_changed(r: &Replaced, before: &[&str], after: &[&str]) -> bool {
    let touched = r.added.iter().chain(&r.changed).chain(&r.removed);
    touched
        .map(resso_protocol::AppId::as_str)
        .any(|id| before.contains(&id) || after.contains(&id))
}

fn names(ids: &[resso_protocol::AppId]) -> Vec<&str> {
    ids.iter().map(resso_protocol::AppId::as_str).collect()
}
