//! Loading a configuration from all its sources in order — built-in defaults, a TOML file (or a
//! laravel-echo-server.json), the environment, the flags — recording where each value came from
//! and what to warn about, then the safe default when no app is configured anywhere: the
//! development app on a loopback address, a refusal on any other.

use std::net::IpAddr;

use super::env::{self, Reader};
use super::origin::{Origin, Origins};
use super::warning::Warning;
use super::{AppConfig, Config, ConfigError, EchoServer, Env, SocketIoConfig};

/// The sources named on the command line.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// A TOML file (`--config`).
    pub config: Option<String>,
    /// An unchanged laravel-echo-server.json (`--laravel-echo-server`), instead of `config`.
    pub laravel_echo_server: Option<String>,
    /// `--host`.
    pub host: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--debug`.
    pub debug: bool,
}

/// A checked configuration, where its values came from, and what to warn about.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub origins: Origins,
    /// Logged by `main` once logging is set up; printed by `resso config check`.
    pub warnings: Vec<Warning>,
    /// Debug logs asked for (laravel-echo-server's `devMode`, `SOKETI_DEBUG`), unless `RESSO_LOG`
    /// says otherwise.
    pub verbose: bool,
}

/// Loads, applies the safe default for no app, and validates.
///
/// # Errors
/// A [`ConfigError`] naming the file, field or variable at fault, or [`ConfigError::NoApp`].
pub fn load(sources: &Sources, env: &dyn Env) -> Result<Loaded, ConfigError> {
    let mut loaded = base(sources, env)?;
    let mut reader = Reader::new(env);
    env::apply(&mut loaded, &mut reader)?;
    loaded.apply_flags(sources);
    loaded.safe_default()?;
    env::apply_to_apps(&mut loaded, &mut reader)?;
    reader.finish(&mut loaded);
    loaded.config.server.debug |= loaded.verbose;
    loaded.socketio_defaults();
    loaded.config.validate()?;
    Ok(loaded)
}

/// The file's configuration (or the defaults), with the file's values recorded as such.
fn base(sources: &Sources, env: &dyn Env) -> Result<Loaded, ConfigError> {
    let mut loaded = Loaded {
        config: Config::default(),
        origins: Origins::default(),
        warnings: Vec::new(),
        verbose: false,
    };
    if let Some(path) = &sources.laravel_echo_server {
        let echo = EchoServer::from_file(path, env)?;
        loaded.config = echo.config;
        loaded.verbose = echo.dev_mode;
        loaded.warnings = echo.warnings.into_iter().map(Warning::EchoServer).collect();
        for path in ["server.host", "server.port", "apps"] {
            loaded.origins.set(path, Origin::File);
        }
    } else if let Some(path) = &sources.config {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.clone(),
            error,
        })?;
        loaded.config = Config::from_toml(&text, path)?;
        if let Ok(table) = text.parse::<toml::Table>() {
            record_file(&mut loaded.origins, "", &toml::Value::Table(table));
        }
    }
    Ok(loaded)
}

/// Records every value the file states as coming from it.
fn record_file(origins: &mut Origins, path: &str, value: &toml::Value) {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                record_file(origins, &path, value);
            }
        }
        toml::Value::Array(items) if items.iter().any(toml::Value::is_table) => {
            for (i, value) in items.iter().enumerate() {
                record_file(origins, &format!("{path}[{i}]"), value);
            }
        }
        _ => origins.set(path, Origin::File),
    }
}

impl Loaded {
    /// Records `origin` for `path`; a Reverb variable replacing a Soketi one is warned about.
    pub(super) fn record(&mut self, path: &str, origin: Origin) {
        if let (Some(Origin::Env(old)), Origin::Env(new)) = (self.origins.recorded(path), &origin) {
            let old_family = old.split('_').next();
            if old_family == Some("SOKETI") && origin.family() == Some("REVERB") {
                self.warnings.push(Warning::Conflict {
                    field: path.to_owned(),
                    used: new.clone(),
                    ignored: old.clone(),
                });
            }
        }
        self.origins.set(path, origin);
    }

    /// Adds `app`, replacing an app with the same id in place; returns its index. The caller
    /// records the origins of the fields it set.
    pub(super) fn put_app(&mut self, app: AppConfig, id_var: &str) -> usize {
        let i = if let Some(i) = self.config.apps.iter().position(|a| a.id == app.id) {
            self.config.apps[i] = app;
            i
        } else {
            self.config.apps.push(app);
            self.config.apps.len() - 1
        };
        // The app's fields are defaults unless recorded otherwise; its id keeps the origin it
        // had, so that recording the new one warns about a Soketi app replaced by Reverb's.
        let path = format!("apps[{i}]");
        let id = format!("{path}.id");
        let before = self.origins.recorded(&id).cloned();
        self.origins.set(&path, Origin::Default);
        if let Some(before) = before {
            self.origins.set(&id, before);
        }
        self.record(&id, Origin::env(id_var));
        i
    }

    fn apply_flags(&mut self, sources: &Sources) {
        if let Some(host) = &sources.host {
            self.config.server.host.clone_from(host);
            self.record("server.host", Origin::Flag("--host"));
        }
        if let Some(port) = sources.port {
            self.config.server.port = port;
            self.record("server.port", Origin::Flag("--port"));
        }
        if sources.debug {
            self.verbose = true;
            self.config.server.debug = true;
            self.record("server.debug", Origin::Flag("--debug"));
        }
    }

    /// No app anywhere: the development app on a loopback address (with a warning), else refuse.
    fn safe_default(&mut self) -> Result<(), ConfigError> {
        if !self.config.apps.is_empty() || self.config.app_store.is_some() {
            return Ok(());
        }
        let host = &self.config.server.host;
        if !is_loopback(host) {
            return Err(ConfigError::NoApp { host: host.clone() });
        }
        self.config.ensure_app();
        let app = &self.config.apps[0];
        self.warnings.push(Warning::DevelopmentApp {
            id: app.id.clone(),
            key: app.key.clone(),
        });
        Ok(())
    }

    /// The only app serves Socket.IO unless it opts out; an app that opts out has no endpoint.
    fn socketio_defaults(&mut self) {
        if let [app] = self.config.apps.as_mut_slice() {
            if app.socketio.is_none() {
                app.socketio = Some(SocketIoConfig::default());
                self.origins.set("apps[0].socketio", Origin::Default);
            }
        }
        for app in &mut self.config.apps {
            if app.socketio.as_ref().is_some_and(|s| !s.enabled) {
                app.socketio = None;
            }
        }
    }

    /// The development app, when it is the one in use.
    #[must_use]
    pub fn development_app(&self) -> Option<&AppConfig> {
        self.warnings
            .iter()
            .any(|w| matches!(w, Warning::DevelopmentApp { .. }))
            .then(|| self.config.apps.first())
            .flatten()
    }
}

/// Whether `host` is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
