//! The webhook endpoints of every app, flattened once at start-up into one table that the dispatcher
//! and the deliverer share by index: where to POST, with which key and secret, and which events the
//! endpoint asked for (its `event_types` and `channel_prefix` filters).

use std::collections::HashMap;
use std::sync::Arc;

use resso_protocol::AppId;

use crate::apps::{App, Apps};
use crate::config::WebhookConfig;

/// One endpoint of one app.
#[derive(Debug)]
pub struct Endpoint {
    pub app: Arc<App>,
    pub config: WebhookConfig,
}

impl Endpoint {
    /// Whether the endpoint wants an event named `name` on `channel`.
    #[must_use]
    pub fn accepts(&self, name: &str, channel: &str) -> bool {
        let types = &self.config.event_types;
        let prefix = self.config.channel_prefix.as_deref().unwrap_or("");
        (types.is_empty() || types.iter().any(|t| t == name)) && channel.starts_with(prefix)
    }
}

/// Every endpoint, and which belong to which app.
#[derive(Debug, Default)]
pub struct Endpoints {
    all: Vec<Endpoint>,
    by_app: HashMap<AppId, Vec<usize>>,
}

impl Endpoints {
    /// The endpoints of all `apps`, in configuration order within each app.
    #[must_use]
    pub fn new(apps: &Apps) -> Self {
        let mut table = Self::default();
        for app in apps.snapshot().iter() {
            for config in &app.config.webhooks {
                let index = table.all.len();
                table.all.push(Endpoint {
                    app: app.clone(),
                    config: config.clone(),
                });
                table.by_app.entry(app.id.clone()).or_default().push(index);
            }
        }
        table
    }

    /// How many endpoints there are; indices run from 0 to this.
    #[must_use]
    pub fn len(&self) -> usize {
        self.all.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    #[must_use]
    pub fn get(&self, index: usize) -> &Endpoint {
        &self.all[index]
    }

    /// Indices of the endpoints of `app`.
    #[must_use]
    pub fn of_app(&self, app: &AppId) -> &[usize] {
        self.by_app.get(app).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::AppConfig;

    use super::*;

    fn hook(url: &str, types: &[&str], prefix: Option<&str>) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            channel_prefix: prefix.map(str::to_owned),
        }
    }

    #[test]
    fn filters_by_type_and_prefix() {
        let mut config = AppConfig::development();
        config.webhooks = vec![
            hook("http://a", &[], None),
            hook("http://b", &["channel_occupied"], Some("private-")),
        ];
        let mut other = AppConfig::with_credentials("2", "k2", "s2");
        other.webhooks = vec![hook("http://c", &[], None)];
        let table = Endpoints::new(&Apps::new(&[
            config,
            AppConfig::with_credentials("3", "k3", "s"),
            other,
        ]));
        assert_eq!(table.len(), 3);
        let mine = table.of_app(&AppId::from("app-id"));
        assert_eq!(mine.len(), 2);
        assert!(table.of_app(&AppId::from("3")).is_empty());
        let (all, picky) = (table.get(mine[0]), table.get(mine[1]));
        assert!(all.accepts("client_event", "anything"));
        assert!(picky.accepts("channel_occupied", "private-x"));
        assert!(!picky.accepts("channel_vacated", "private-x"));
        assert!(!picky.accepts("channel_occupied", "public"));
    }
}
