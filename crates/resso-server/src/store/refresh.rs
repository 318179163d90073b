//! Every TTL: the list of ids and keys is read again (a new app becomes known, a deleted one
//! unknown), and the apps held are read again in batches — changed ones replaced, disabled ones
//! kept as disabled, deleted ones forgotten, their connections closed with 4003, idle ones let go
//! ([`super::idle`]). While the database is down the apps held stay as they are and the refresh
//! backs off.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use resso_protocol::{AppId, ErrorCode};
use tokio_util::sync::CancellationToken;

use super::db::By;
use super::health::backoff;
use super::{timed, QueryError, Store};
use crate::apps::App;

/// Apps read in one query.
const BATCH: usize = 500;

/// Refreshes until shutdown.
pub async fn run(store: Arc<Store>, shutdown: CancellationToken) {
    let ttl = store.config.ttl();
    let mut failing: Option<Duration> = None;
    loop {
        let wait = failing.unwrap_or(ttl);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        match store.refresh().await {
            Ok(()) => {
                store.health.answered();
                failing = None;
            }
            Err(error) => {
                store.health.failed(&error);
                failing = Some(backoff(failing));
            }
        }
    }
}

impl Store {
    async fn refresh(&self) -> Result<(), QueryError> {
        self.reindex().await?;
        self.let_idle_go();
        let held: Vec<String> = self
            .apps
            .stored_ids()
            .iter()
            .map(|id| id.as_str().to_owned())
            .collect();
        for batch in held.chunks(BATCH) {
            self.refresh_batch(batch).await?;
        }
        Ok(())
    }

    async fn refresh_batch(&self, ids: &[String]) -> Result<(), QueryError> {
        let read = self.read_rows(By::Id, ids);
        let rows = timed(self.config.query_timeout() * 5, read).await?;
        let mut found: HashMap<String, _> = HashMap::new();
        for (cells, settings) in rows {
            if let Some(id) = cells.get("id").and_then(super::cells::Cell::text) {
                found.insert(id, (cells, settings));
            }
        }
        for id in ids {
            let kept = found
                .get(id)
                .and_then(|(cells, settings)| self.keep(cells, settings.as_ref()));
            if kept.is_none() {
                self.forget(&AppId::from(id.as_str()));
            }
        }
        Ok(())
    }

    /// An app deleted (or no longer valid): forgotten, its connections closed with 4003.
    fn forget(&self, id: &AppId) {
        let Some(app) = self.apps.remove_stored(id) else {
            return;
        };
        let closed = self.registry.close_app(id, ErrorCode::AppDisabled);
        tracing::info!(app = %id, closed, "database app gone: forgotten");
        self.let_go(&app);
    }

    /// What follows an app no longer held: its webhooks and whatever follows the changes.
    pub(super) fn let_go(&self, app: &App) {
        if !app.config.webhooks.is_empty() {
            self.registry.webhooks().reload(&self.apps);
        }
        self.changed.send_replace(());
    }
}
