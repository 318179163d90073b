//! The configured apps, looked up by id (HTTP API) or key (WebSocket). Built once at start-up and
//! shared read-only; an [`App`] carries its credentials, switches and limits.

use std::collections::HashMap;
use std::sync::Arc;

use resso_protocol::auth::Credentials;
use resso_protocol::{AppId, AppKey, Limits};

use crate::config::AppConfig;
use crate::metrics::{AppMeters, Metrics};

/// One app, as the server uses it: typed names, protocol limits, and its configuration.
#[derive(Debug)]
pub struct App {
    pub id: AppId,
    pub key: AppKey,
    pub limits: Limits,
    pub config: AppConfig,
    /// This app's counters (`GET /metrics`).
    pub meters: Arc<AppMeters>,
}

impl App {
    #[cfg(test)]
    pub(crate) fn from_config(c: &AppConfig) -> Self {
        Self::counted(c, &Metrics::default())
    }

    fn counted(c: &AppConfig, metrics: &Metrics) -> Self {
        let limits = Limits {
            channel_name: c.limits.channel_name_length,
            event_name: c.limits.event_name_length,
            event_data: c.limits.event_data_bytes,
            ..Limits::default()
        };
        let id = AppId::from(c.id.as_str());
        Self {
            meters: metrics.app(&id),
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

/// All apps, by id and by key.
#[derive(Debug, Clone, Default)]
pub struct Apps {
    by_id: HashMap<AppId, Arc<App>>,
    by_key: HashMap<AppKey, Arc<App>>,
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
        let mut apps = Self::default();
        for c in configs {
            let app = Arc::new(App::counted(c, metrics));
            apps.by_id.insert(app.id.clone(), app.clone());
            apps.by_key.insert(app.key.clone(), app);
        }
        apps
    }

    #[must_use]
    pub fn by_id(&self, id: &str) -> Option<&Arc<App>> {
        self.by_id.get(&AppId::from(id))
    }

    #[must_use]
    pub fn by_key(&self, key: &str) -> Option<&Arc<App>> {
        self.by_key.get(&AppKey::from(key))
    }

    /// Every app, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<App>> {
        self.by_id.values()
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
}
