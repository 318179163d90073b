//! The app store: apps kept in PostgreSQL or MySQL/MariaDB (Soketi's `apps` table read as it is),
//! served beside the file's apps. A lookup the file's apps and the apps held cannot answer
//! ([`crate::apps::Misses`]) asks the database only for a key or id that the table has: the list
//! of ids and keys is read once per TTL, so made-up keys never reach the database and take no
//! memory. Concurrent lookups of one key make one query ([`flight`]); a lookup waits at most the
//! query timeout, and none is sent while the database is down ([`health`]). Every TTL the apps
//! held are read again ([`refresh`]): changes apply, and a disabled or deleted app's connections
//! are closed with 4003.

mod cells;
mod db;
mod flight;
mod health;
mod refresh;
mod row;

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use resso_protocol::ErrorCode;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::{Answer, App, Apps, Misses, Put};
use crate::config::AppStoreConfig;
use crate::registry::Registry;
use cells::{Cell, Cells};
use db::{By, Db};
use flight::Flights;
use health::Health;

/// The ids and keys the table has, as last read.
#[derive(Debug, Default)]
struct Index {
    ids: HashSet<String>,
    keys: HashSet<String>,
}

impl Index {
    fn has(&self, by: By, value: &str) -> bool {
        match by {
            By::Id => self.ids.contains(value),
            By::Key => self.keys.contains(value),
        }
    }
}

/// The store and what it serves into.
pub struct Store {
    db: Db,
    config: AppStoreConfig,
    apps: Arc<Apps>,
    registry: Registry,
    index: RwLock<Index>,
    flights: Flights<(By, String), Option<Arc<App>>>,
    health: Health,
}

/// Connects (lazily) to the store of `config`, reads its list of apps (waiting at most the query
/// timeout), makes it the one `apps` asks on a miss, and starts its refresh.
///
/// # Errors
/// The URL cannot be used.
pub async fn start(
    config: AppStoreConfig,
    apps: &Arc<Apps>,
    registry: &Registry,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) -> Result<(), sqlx::Error> {
    let db = Db::connect(&config, config.query_timeout())?;
    let store = Arc::new(Store {
        db,
        config,
        apps: apps.clone(),
        registry: registry.clone(),
        index: RwLock::default(),
        flights: Flights::default(),
        health: Health::default(),
    });
    if let Err(error) = store.reindex().await {
        store.health.failed(&error);
    }
    apps.set_misses(store.clone());
    tracker.spawn(refresh::run(store, shutdown));
    Ok(())
}

impl Misses for Store {
    fn by_key<'a>(&'a self, key: &'a str) -> Answer<'a> {
        Box::pin(self.lookup(By::Key, key))
    }

    fn by_id<'a>(&'a self, id: &'a str) -> Answer<'a> {
        Box::pin(self.lookup(By::Id, id))
    }
}

impl Store {
    /// The app whose `by` column is `value`, if the table has it and the database answers in time.
    async fn lookup(&self, by: By, value: &str) -> Option<Arc<App>> {
        let listed = self
            .index
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .has(by, value);
        if !listed || self.health.is_down() {
            return None;
        }
        let key = (by, value.to_owned());
        self.flights.run(&key, || self.fetch(by, value)).await
    }

    async fn fetch(&self, by: By, value: &str) -> Option<Arc<App>> {
        let values = [value.to_owned()];
        let read = self.read_rows(by, &values);
        let rows = match tokio::time::timeout(self.config.query_timeout(), read).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(error)) => return self.failed(&error),
            Err(_) => return self.failed(&"no answer within the query timeout"),
        };
        self.health.answered();
        let (cells, settings) = rows.into_iter().next()?;
        Some(self.keep(&cells, settings.as_ref())?.app().clone())
    }

    fn failed(&self, error: &dyn std::fmt::Display) -> Option<Arc<App>> {
        self.health.failed(error);
        None
    }

    /// Rows by `by`, each with its settings from Ressò's table when there is one.
    async fn read_rows(
        &self,
        by: By,
        values: &[String],
    ) -> Result<Vec<(Cells, Option<serde_json::Value>)>, sqlx::Error> {
        let rows = self.db.rows(&self.config.table, by, values).await?;
        let Some(table) = &self.config.settings_table else {
            return Ok(rows.into_iter().map(|r| (r, None)).collect());
        };
        let ids: Vec<String> = rows.iter().filter_map(|r| r.get("id")?.text()).collect();
        let settings: std::collections::HashMap<_, _> =
            self.db.settings(table, &ids).await?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let s = r
                    .get("id")
                    .and_then(Cell::text)
                    .and_then(|id| settings.get(&id).cloned());
                (r, s)
            })
            .collect())
    }

    /// Holds the app of a row; a row that is not a valid app, or clashes with a file app, is
    /// refused, logged and taken off the list until the next one (so its key makes no more
    /// queries). Webhooks are reloaded when the app has (or had) any.
    fn keep(&self, cells: &Cells, settings: Option<&serde_json::Value>) -> Option<Put> {
        let put = self.admit(cells, settings);
        if put.is_none() {
            self.unlist(cells);
        }
        let put = put?;
        if let Put::Changed { old, .. } = &put {
            if old.config.enabled && !put.app().config.enabled {
                self.registry.close_app(&old.id, ErrorCode::AppDisabled);
            }
        }
        if has_hooks(&put) {
            self.registry.webhooks().reload(&self.apps);
        }
        Some(put)
    }

    fn admit(&self, cells: &Cells, settings: Option<&serde_json::Value>) -> Option<Put> {
        let id = cells.get("id").and_then(Cell::text).unwrap_or_default();
        let parsed = row::parse(cells, &self.config.limits, settings)
            .inspect_err(|error| tracing::warn!(app = %id, %error, "database app refused"))
            .ok()?;
        if !parsed.dropped.is_empty() {
            tracing::debug!(app = %id, dropped = ?parsed.dropped, "database app: not applied");
        }
        self.apps
            .put_stored(&parsed.config)
            .inspect_err(|clash| tracing::warn!(app = %id, %clash, "database app refused"))
            .ok()
    }

    /// Takes a refused row's id and key off the list.
    fn unlist(&self, cells: &Cells) {
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = cells.get("id").and_then(Cell::text) {
            index.ids.remove(&id);
        }
        if let Some(key) = cells.get("key").and_then(Cell::text) {
            index.keys.remove(&key);
        }
    }

    /// Reads the list of ids and keys again.
    async fn reindex(&self) -> Result<(), String> {
        let read = self.db.index(&self.config.table);
        let timeout = self.config.query_timeout() * 5;
        let pairs = match tokio::time::timeout(timeout, read).await {
            Ok(Ok(pairs)) => pairs,
            Ok(Err(error)) => return Err(error.to_string()),
            Err(_) => return Err("no answer within the query timeout".into()),
        };
        let mut index = Index::default();
        for (id, key) in pairs {
            index.ids.insert(id);
            index.keys.insert(key);
        }
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = index;
        Ok(())
    }
}

/// Whether a put changes which webhooks there are (an app with hooks added or changed).
fn has_hooks(put: &Put) -> bool {
    match put {
        Put::Added(app) => !app.config.webhooks.is_empty(),
        Put::Changed { old, new } => {
            !old.config.webhooks.is_empty() || !new.config.webhooks.is_empty()
        }
        Put::Same(_) => false,
    }
}
