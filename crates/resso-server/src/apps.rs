//! The configured apps, looked up by id (HTTP API) or key (WebSocket). Built at start-up and
//! replaced whole when the configuration is reloaded; an [`App`] carries its credentials, switches
//! and limits.

use std::collections::HashMap;
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
        }
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
}

/// All apps, by id and by key; replaced whole on a reload. A lookup copies out an `Arc<App>`, so a
/// connection keeps the settings it was admitted with until it reconnects.
#[derive(Debug, Default)]
pub struct Apps {
    table: RwLock<Arc<Table>>,
    metrics: Metrics,
    taps: Taps,
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
            metrics: metrics.clone(),
            taps,
        }
    }

    /// Every app's tap (kept by id across reloads).
    #[must_use]
    pub fn taps(&self) -> &Taps {
        &self.taps
    }

    /// The current generation, to iterate over.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Table> {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    #[must_use]
    pub fn by_id(&self, id: &str) -> Option<Arc<App>> {
        self.snapshot().by_id.get(&AppId::from(id)).cloned()
    }

    #[must_use]
    pub fn by_key(&self, key: &str) -> Option<Arc<App>> {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        table.by_key.get(&AppKey::from(key)).cloned()
    }

    /// Makes `configs` (validated) the apps: an app whose configuration is unchanged keeps its
    /// `Arc<App>`, a changed one is rebuilt (its counters carry on, being kept by id).
    pub fn replace(&self, configs: &[AppConfig]) -> Replaced {
        let old = self.snapshot();
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
mod tests {
    use super::*;

    #[test]
    fn origins_match_by_host_or_full_origin() {
        let mut c = AppConfig::development();
        let open = App::from_config(&c);
        assert!(open.allows_origin(Some("https://evil.test")));
        c.allowed_origins = vec!["example.com".into(), "http://localhost:3000".into()];
        let app = App::from_config(&c);
        assert!(app.allows_origin(Some("https://example.com")));
        assert!(app.allows_origin(Some("https://example.com:8443")));
        assert!(app.allows_origin(Some("http://localhost:3000")));
        assert!(!app.allows_origin(Some("https://evil.test")));
        assert!(!app.allows_origin(Some("http://localhost:4000")));
        assert!(app.allows_origin(None));
    }

    fn app(id: &str, enabled: bool) -> AppConfig {
        AppConfig {
            id: id.into(),
            key: format!("key-{id}"),
            enabled,
            ..AppConfig::development()
        }
    }

    #[test]
    fn a_replace_keeps_unchanged_apps_and_names_the_rest() {
        let apps = Apps::new(&[app("a", true), app("b", true), app("c", true)]);
        let a = apps.by_id("a").unwrap();
        let mut changed = app("b", true);
        changed.secret = "rotated".into();
        let r = apps.replace(&[app("a", true), changed, app("c", false), app("d", true)]);
        assert!(Arc::ptr_eq(&a, &apps.by_id("a").unwrap()));
        assert_eq!(apps.by_key("key-b").unwrap().config.secret, "rotated");
        assert_eq!(r.added, [AppId::from("d")]);
        assert_eq!(r.changed, [AppId::from("b")]);
        assert_eq!(r.removed, [AppId::from("c")]);
        let r = apps.replace(&[app("a", true)]);
        let mut removed = r.removed;
        removed.sort_by(|x, y| x.as_str().cmp(y.as_str()));
        assert_eq!(
            removed,
            [AppId::from("b"), AppId::from("c"), AppId::from("d")]
        );
        assert!(apps.by_key("key-d").is_none());
    }
}
