//! The app store: apps kept in PostgreSQL or MySQL/MariaDB (Soketi's `apps` table read as it is),
//! served beside the file's apps. A lookup the file's apps and the apps held cannot answer
//! ([`crate::apps::Misses`]) asks the database only for a key or id that the table has: the list
//! of ids and keys is read once per TTL, so made-up keys never reach the database and take no
//! memory. Concurrent lookups of one key make one query ([`flight`]); a lookup waits at most the
//! query timeout, and none is sent while the database is down ([`health`]). Every TTL the apps
//! held are read again ([`refresh`]): changes apply, and a disabled or deleted app's connections
//! are closed with 4003; an app idle for a few TTLs is let go ([`idle`]). Socket.IO paths and
//! echo-server clients of database apps are known from memory too ([`aliases`]). Every change of
//! the apps held is signalled ([`start`]'s receiver), so what runs per app (Redis ingestion)
//! follows.

mod aliases;
mod cells;
mod db;
mod flight;
mod health;
mod idle;
mod index;
mod refresh;
mod row;

use std::sync::{Arc, PoisonError, RwLock};

use resso_protocol::ErrorCode;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::{Alias, Answer, App, Apps, Misses, Put};
use crate::config::AppStoreConfig;
use crate::registry::Registry;
use aliases::Aliases;
use cells::{Cell, Cells};
use db::{By, Db};
use flight::Flights;
use health::Health;
use index::Index;

/// Why the store did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("app_store.url: {0}")]
    Url(sqlx::Error),
    /// The URL asks for TLS and the database does not offer it, or its certificate failed the
    /// check: a mistake in the configuration, not an outage to wait out.
    #[error("app_store.url asks for TLS, and TLS with the database failed: {0}")]
    Tls(sqlx::Error),
}

/// Why a query of the store failed.
#[derive(Debug, thiserror::Error)]
enum QueryError {
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    #[error("no answer within the query timeout")]
    Timeout,
}

/// Whether `error` is TLS failing: the server does not offer it, or its certificate failed the
/// check (a handshake error comes wrapped in an I/O error).
fn tls_failed(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Io(io) => io.get_ref().is_some_and(|e| e.is::<rustls::Error>()),
        _ => false,
    }
}

/// `read`, failing after `timeout`.
async fn timed<T>(
    timeout: std::time::Duration,
    read: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, QueryError> {
    match tokio::time::timeout(timeout, read).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(QueryError::Timeout),
    }
}

/// The store and what it serves into.
pub struct Store {
    db: Db,
    config: AppStoreConfig,
    apps: Arc<Apps>,
    registry: Registry,
    index: RwLock<Index>,
    aliases: RwLock<Aliases>,
    /// Bumped on every change of the apps held.
    changed: watch::Sender<()>,
    /// Refreshes each held app has gone unused, by id.
    idle: std::sync::Mutex<std::collections::HashMap<String, u32>>,
    flights: Flights<(By, String), Option<Arc<App>>>,
    health: Health,
}

/// Connects (lazily) to the store of `config`, reads its list of apps (waiting at most the query
/// timeout), makes it the one `apps` asks on a miss, and starts its refresh. The receiver is told
/// of every change of the database apps held (added, changed, let go).
///
/// # Errors
/// The URL cannot be used, or TLS it asks for failed (a database that does not answer is an
/// outage, not an error).
pub async fn start(
    config: AppStoreConfig,
    apps: &Arc<Apps>,
    registry: &Registry,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) -> Result<watch::Receiver<()>, StartError> {
    let db = Db::connect(&config, config.query_timeout()).map_err(StartError::Url)?;
    let (changed, changes) = watch::channel(());
    let store = Arc::new(Store {
        db,
        config,
        apps: apps.clone(),
        registry: registry.clone(),
        index: RwLock::default(),
        aliases: RwLock::default(),
        changed,
        idle: std::sync::Mutex::default(),
        flights: Flights::default(),
        health: Health::default(),
    });
    match store.reindex().await {
        Ok(()) => {}
        Err(QueryError::Db(error)) if tls_failed(&error) => return Err(StartError::Tls(error)),
        Err(error) => store.health.failed(&error),
    }
    apps.set_misses(store.clone());
    tracker.spawn(refresh::run(store, shutdown));
    Ok(changes)
}

impl Misses for Store {
    fn by_key<'a>(&'a self, key: &'a str) -> Answer<'a> {
        Box::pin(self.lookup(By::Key, key))
    }

    fn by_id<'a>(&'a self, id: &'a str) -> Answer<'a> {
        Box::pin(self.lookup(By::Id, id))
    }

    fn alias(&self, alias: Alias<'_>) -> Option<String> {
        let aliases = self.aliases.read().unwrap_or_else(PoisonError::into_inner);
        aliases.of(alias)
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
        let rows = match timed(self.config.query_timeout(), read).await {
            Ok(rows) => rows,
            Err(error) => return self.failed(&error),
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
        if !matches!(put, Put::Same(_)) {
            self.changed.send_replace(());
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
