//! The configured apps, looked up by id (HTTP API) or key (WebSocket). The file's apps are built
//! at start-up and replaced whole when the configuration is reloaded; apps from a database (an
//! app store) are kept beside them once looked up ([`stored`]), and a lookup that finds neither
//! asks the store ([`Misses`]). An [`App`] carries its credentials, switches and limits.

mod stored;

pub use stored::{Alias, Answer, Clash, Misses, Put};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use resso_protocol::auth::Credentials;
use resso_protocol::{AppId, AppKey, Limits};

use crate::config::AppConfig;
use crate::metrics::{AppMeters, Metrics};
use crate::tap::{Tap, Taps};

/// One app, as the server uses it: typed names, protocol limits, and its configuration.
#[derive(Debug)]
pub struct App {
    pub id: AppId,
    pub key: AppKey,
    pub limits: Limits,
    pub config: AppConfig,
    /// This app's counters (`GET /metrics`).
    pub meters: Arc<AppMeters>,
    /// This app's live feed (the debug console, `--debug`).
    pub tap: Arc<Tap>,
    /// Looked up since the app store last asked ([`App::take_used`]): how idle stored apps are
    /// told from used ones.
    used: AtomicBool,
}

impl App {
    #[cfg(test)]
    pub(crate) fn from_config(c: &AppConfig) -> Self {
        Self::counted(c, &Metrics::default(), &Taps::default())
    }

    fn counted(c: &AppConfig, metrics: &Metrics, taps: &Taps) -> Self {
        let limits = Limits {
            channel_name: c.limits.channel_name_length,
            event_name: c.limits.event_name_length,
            event_data: c.limits.event_data_bytes,
            ..Limits::default()
        };
        let id = AppId::from(c.id.as_str());
        Self {
            meters: metrics.app(&id),
            tap: taps.of(&id),
            id,
            key: AppKey::from(c.key.as_str()),
            limits,
            config: c.clone(),
            used: AtomicBool::new(true),
        }
    }

    /// Marks a lookup; written only when not yet marked, so hot lookups share the cache line.
    fn mark_used(&self) {
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the app was looked up since the last call (a stored app's lookups mark it).
    pub fn take_used(&self) -> bool {
        self.used.swap(false, Ordering::Relaxed)
    }

    /// The key and secret, for signature checks.
    #[must_use]
    pub fn credentials(&self) -> Credentials<'_> {
        Credentials {
            key: &self.key,
            secret: &self.config.secret,
        }
    }

    /// Whether a browser page from `origin` (the `Origin` header) may connect.
    #[must_use]
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        if self.config.allowed_origins.is_empty()
            || self.config.allowed_origins.iter().any(|o| o == "*")
        {
            return true;
        }
        let Some(origin) = origin else {
            return true; // not a browser: nothing to check
        };
        let host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        let host = host.split(['/', ':']).next().unwrap_or(host);
        self.config
            .allowed_origins
            .iter()
            .any(|allowed| allowed == origin || allowed == host)
    }
}

/// One generation of the apps, by id and by key: immutable once built.
#[derive(Debug, Clone, Default)]
pub struct Table {
    by_id: HashMap<AppId, Arc<App>>,
    by_key: HashMap<AppKey, Arc<App>>,
}

impl Table {
    #[must_use]
    pub fn by_id(&self, id: &str) -> Option<&Arc<App>> {
        self.by_id.get(&AppId::from(id))
    }

    /// Every app, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<App>> {
        self.by_id.values()
    }

    fn insert(&mut self, app: Arc<App>) {
        self.by_id.insert(app.id.clone(), app.clone());
        self.by_key.insert(app.key.clone(), app);
    }

    fn remove(&mut self, id: &AppId) -> Option<Arc<App>> {
        let app = self.by_id.remove(id)?;
        if self.by_key.get(&app.key).is_some_and(|a| a.id == *id) {
            self.by_key.remove(&app.key);
        }
        Some(app)
    }
}

/// All apps, by id and by key; replaced whole on a reload. A lookup copies out an `Arc<App>`, so a
/// connection keeps the settings it was admitted with until it reconnects.
#[derive(Default)]
pub struct Apps {
    table: RwLock<Arc<Table>>,
    /// Apps from the app store, once looked up; changed in place.
    stored: RwLock<Table>,
    metrics: Metrics,
    taps: Taps,
    /// The app store, asked when neither table has an app.
    misses: std::sync::OnceLock<Arc<dyn Misses>>,
}

impl std::fmt::Debug for Apps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apps")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// What a [`Apps::replace`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Replaced {
    pub added: Vec<AppId>,
    pub changed: Vec<AppId>,
    /// Apps gone, or newly disabled: their connections are to be closed.
    pub removed: Vec<AppId>,
}

impl Apps {
    /// Builds the lookup tables (the config was validated: ids and keys are unique), counting
    /// into metrics of their own.
    #[must_use]
    pub fn new(configs: &[AppConfig]) -> Self {
        Self::counted(configs, &Metrics::default())
    }

    /// The apps of `configs`, counting into `metrics`.
    #[must_use]
    pub fn counted(configs: &[AppConfig], metrics: &Metrics) -> Self {
        let taps = Taps::default();
        let mut table = Table::default();
        for c in configs {
            table.insert(Arc::new(App::counted(c, metrics, &taps)));
        }
        Self {
            table: RwLock::new(Arc::new(table)),
            stored: RwLock::default(),
            metrics: metrics.clone(),
            taps,
            misses: std::sync::OnceLock::new(),
        }
    }

    /// Every app's tap (kept by id across reloads).
    #[must_use]
    pub fn taps(&self) -> &Taps {
        &self.taps
    }

    /// The file's apps and the stored apps looked up so far, to iterate over.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Table> {
        let files = self.files();
        let stored = self.stored.read().unwrap_or_else(PoisonError::into_inner);
        if stored.by_id.is_empty() {
            return files;
        }
        let mut all = Table::clone(&files);
        for app in stored.iter() {
            all.insert(app.clone());
        }
        Arc::new(all)
    }

    /// The file's apps.
    #[must_use]
    pub fn files(&self) -> Arc<Table> {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The app with this id, of the file or stored and looked up before (never waits).
    #[must_use]
    pub fn by_id(&self, id: &str) -> Option<Arc<App>> {
        let id = AppId::from(id);
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(app) = table.by_id.get(&id) {
            return Some(app.clone());
        }
        drop(table);
        let stored = self.stored.read().unwrap_or_else(PoisonError::into_inner);
        stored.by_id.get(&id).inspect(|a| a.mark_used()).cloned()
    }

    /// The app with this key, of the file or stored and looked up before (never waits).
    #[must_use]
    pub fn by_key(&self, key: &str) -> Option<Arc<App>> {
        let key = AppKey::from(key);
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(app) = table.by_key.get(&key) {
            return Some(app.clone());
        }
        drop(table);
        let stored = self.stored.read().unwrap_or_else(PoisonError::into_inner);
        stored.by_key.get(&key).inspect(|a| a.mark_used()).cloned()
    }

    /// [`Apps::by_key`], else the app store's answer (bounded in time by the store).
    pub async fn find_key(&self, key: &str) -> Option<Arc<App>> {
        if let Some(app) = self.by_key(key) {
            return Some(app);
        }
        self.misses.get()?.by_key(key).await
    }

    /// [`Apps::by_id`], else the app store's answer (bounded in time by the store).
    pub async fn find_id(&self, id: &str) -> Option<Arc<App>> {
        if let Some(app) = self.by_id(id) {
            return Some(app);
        }
        self.misses.get()?.by_id(id).await
    }

    /// Makes `configs` (validated) the apps: an app whose configuration is unchanged keeps its
    /// `Arc<App>`, a changed one is rebuilt (its counters carry on, being kept by id).
    pub fn replace(&self, configs: &[AppConfig]) -> Replaced {
        let old = self.files();
        let mut table = Table::default();
        let mut replaced = Replaced::default();
        for c in configs {
            let id = AppId::from(c.id.as_str());
            let app = match old.by_id.get(&id) {
                Some(app) if same(&app.config, c) => app.clone(),
                Some(app) => {
                    if app.config.enabled && !c.enabled {
                        replaced.removed.push(id.clone());
                    } else {
                        replaced.changed.push(id.clone());
                    }
                    Arc::new(App::counted(c, &self.metrics, &self.taps))
                }
                None => {
                    replaced.added.push(id.clone());
                    Arc::new(App::counted(c, &self.metrics, &self.taps))
                }
            };
            table.insert(app);
        }
        let gone = old.by_id.keys().filter(|id| !table.by_id.contains_key(*id));
        replaced.removed.extend(gone.cloned());
        self.forget_shadowed(&table);
        *self.table.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(table);
        replaced
    }
}

/// Whether two app configurations are the same (compared as the JSON they serialize to; a
/// configuration that cannot be serialized counts as changed).
fn same(a: &AppConfig, b: &AppConfig) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
