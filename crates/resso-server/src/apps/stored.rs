//! The apps of an app store, kept beside the file's once looked up: put, replaced and removed by
//! the store as the database changes, never clashing with a file app (the file wins). [`Misses`]
//! is the store as a lookup sees it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};

use resso_protocol::{AppId, AppKey};

use super::{same, App, Apps, Table};
use crate::config::AppConfig;

/// A lookup the app store answers: an app, or `None` (unknown, or the store cannot tell in time).
pub type Answer<'a> = Pin<Box<dyn Future<Output = Option<Arc<App>>> + Send + 'a>>;

/// The app store, asked for what neither table holds.
pub trait Misses: Send + Sync {
    fn by_key<'a>(&'a self, key: &'a str) -> Answer<'a>;
    fn by_id<'a>(&'a self, id: &'a str) -> Answer<'a>;
    /// The id of the stored app `alias` names, from memory (never a query).
    fn alias(&self, alias: Alias<'_>) -> Option<String>;
}

/// A name an app is found by besides its id and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alias<'a> {
    /// The path of its Socket.IO endpoint (`/socket.io`, without the trailing slash).
    SocketIoPath(&'a str),
    /// The `app_id` of one of its laravel-echo-server API clients.
    EchoClient(&'a str),
}

impl Alias<'_> {
    /// Whether `app` answers to this name.
    #[must_use]
    pub fn names(self, app: &App) -> bool {
        match self {
            Self::SocketIoPath(path) => {
                app.config.socketio.as_ref().is_some_and(|s| s.path == path)
            }
            Self::EchoClient(client) => app
                .config
                .echo_api
                .as_ref()
                .is_some_and(|api| api.has_client(client)),
        }
    }
}

/// A stored app refused because a file app has its id or key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Clash {
    #[error("app id {0:?} is also a file app's")]
    Id(String),
    #[error("app key {0:?} is also a file app's (id {1:?})")]
    Key(String, String),
}

/// What [`Apps::put_stored`] did.
#[derive(Debug, Clone)]
pub enum Put {
    /// Not held before.
    Added(Arc<App>),
    /// Held with another configuration.
    Changed { old: Arc<App>, new: Arc<App> },
    /// Held as it is.
    Same(Arc<App>),
}

impl Put {
    #[must_use]
    pub fn app(&self) -> &Arc<App> {
        match self {
            Self::Added(app) | Self::Same(app) | Self::Changed { new: app, .. } => app,
        }
    }
}

impl Apps {
    /// Makes `misses` the app store asked on a miss (once; later calls are ignored).
    pub fn set_misses(&self, misses: Arc<dyn Misses>) {
        let _ = self.misses.set(misses);
    }

    /// Keeps `config`, a stored app (checked), unless a file app has its id or key.
    ///
    /// # Errors
    /// [`Clash`] naming the id or key a file app has.
    pub fn put_stored(&self, config: &AppConfig) -> Result<Put, Clash> {
        let files = self.files();
        if files.by_id.contains_key(&AppId::from(config.id.as_str())) {
            return Err(Clash::Id(config.id.clone()));
        }
        if let Some(app) = files.by_key.get(&AppKey::from(config.key.as_str())) {
            return Err(Clash::Key(config.key.clone(), app.id.as_str().to_owned()));
        }
        let mut stored = self.stored.write().unwrap_or_else(PoisonError::into_inner);
        let id = AppId::from(config.id.as_str());
        let old = stored.by_id.get(&id).cloned();
        if let Some(old) = old.as_ref().filter(|old| same(&old.config, config)) {
            return Ok(Put::Same(old.clone()));
        }
        let app = Arc::new(App::counted(config, &self.metrics, &self.taps));
        stored.remove(&id);
        stored.insert(app.clone());
        Ok(match old {
            Some(old) => Put::Changed { old, new: app },
            None => Put::Added(app),
        })
    }

    /// The app `alias` names: a file app's, else the stored app the app store names (looked up
    /// as [`Apps::find_id`] does, so a database app not held yet costs one query, once).
    pub async fn find_alias(&self, alias: Alias<'_>) -> Option<Arc<App>> {
        if let Some(app) = self.files().iter().find(|a| alias.names(a)) {
            return Some(app.clone());
        }
        let id = self.misses.get()?.alias(alias)?;
        let app = self.find_id(&id).await?;
        alias.names(&app).then_some(app)
    }

    /// The stored apps held (not marked as looked up).
    #[must_use]
    pub fn stored_apps(&self) -> Vec<Arc<App>> {
        let stored = self.stored.read().unwrap_or_else(PoisonError::into_inner);
        stored.iter().cloned().collect()
    }

    /// Forgets a stored app (deleted from the database); returns it if it was held.
    pub fn remove_stored(&self, id: &AppId) -> Option<Arc<App>> {
        let mut stored = self.stored.write().unwrap_or_else(PoisonError::into_inner);
        stored.remove(id)
    }

    /// The ids of the stored apps held.
    #[must_use]
    pub fn stored_ids(&self) -> Vec<AppId> {
        let stored = self.stored.read().unwrap_or_else(PoisonError::into_inner);
        stored.by_id.keys().cloned().collect()
    }

    /// Forgets the stored apps whose id or key `files` now has (a reload added them to the file).
    pub(super) fn forget_shadowed(&self, files: &Table) {
        let mut stored = self.stored.write().unwrap_or_else(PoisonError::into_inner);
        let shadowed: Vec<AppId> = stored
            .iter()
            .filter(|a| files.by_id.contains_key(&a.id) || files.by_key.contains_key(&a.key))
            .map(|a| a.id.clone())
            .collect();
        for id in &shadowed {
            stored.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str, key: &str) -> AppConfig {
        AppConfig {
            key: key.into(),
            ..AppConfig::with_credentials(id, key, "s")
        }
    }

    #[test]
    fn stored_apps_are_found_and_never_shadow_a_file_app() {
        let apps = Apps::new(&[app("file", "file-key")]);
        assert!(matches!(
            apps.put_stored(&app("db", "db-key")),
            Ok(Put::Added(_))
        ));
        assert_eq!(apps.by_key("db-key").unwrap().id.as_str(), "db");
        assert_eq!(apps.by_id("db").unwrap().key.as_str(), "db-key");
        assert_eq!(
            apps.put_stored(&app("file", "x")).unwrap_err(),
            Clash::Id("file".into())
        );
        assert!(matches!(
            apps.put_stored(&app("y", "file-key")),
            Err(Clash::Key(..))
        ));
        assert!(matches!(
            apps.put_stored(&app("db", "db-key")),
            Ok(Put::Same(_))
        ));
        assert!(matches!(
            apps.put_stored(&app("db", "new-key")),
            Ok(Put::Changed { .. })
        ));
        assert!(apps.by_key("db-key").is_none(), "the old key is gone");
        assert_eq!(apps.snapshot().iter().count(), 2);
        apps.replace(&[app("file", "file-key"), app("db", "k2")]);
        assert!(
            apps.stored_ids().is_empty(),
            "a file app with its id shadows it"
        );
        apps.put_stored(&app("other", "other-key")).unwrap();
        assert!(apps.remove_stored(&AppId::from("other")).is_some());
        assert!(apps.by_key("other-key").is_none());
    }
}
