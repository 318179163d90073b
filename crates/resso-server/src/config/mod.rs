//! Typed configuration, checked before anything starts. Sources, later ones winning: built-in
//! defaults, a TOML file, environment variables (Laravel Reverb's `REVERB_*` names included, so a
//! Laravel `.env` works unchanged), then CLI flags. With no app configured anywhere, one development
//! app is made so `resso` runs with no file at all.

use std::time::Duration;

use serde::Deserialize;

mod app;
mod cluster;
mod echo_api;
mod echo_server;
mod ingest;
mod limits;
mod socketio;

use app::validate_app;
pub use app::{AppConfig, AppLimits, WebhookConfig};
pub use cluster::{Backend, ClusterConfig};
pub use echo_api::{EchoApiConfig, EchoClient, EchoCors};
pub use echo_server::{EchoServer, ECHO_APP};
pub use ingest::IngestConfig;
pub use limits::ServerLimits;
pub use socketio::SocketIoConfig;

/// Why a configuration was refused; each names the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("invalid config file {path}: {error}")]
    Parse {
        path: String,
        error: Box<toml::de::Error>,
    },
    #[error("invalid value for {field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    #[serde(default)]
    pub cluster: ClusterConfig,
}

/// Listener and connection settings shared by every app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to bind (WebSocket and HTTP API share it).
    pub host: String,
    pub port: u16,
    /// Seconds of silence before the server pings a client; sent in `connection_established`.
    pub activity_timeout: u64,
    /// Seconds to wait for any frame after a ping before closing with 4201.
    pub pong_timeout: u64,
    /// Largest inbound WebSocket message, in bytes.
    pub max_message_bytes: usize,
    /// Most bytes queued for one connection before it is closed with 4100.
    pub outbound_queue_bytes: usize,
    /// Webhook delivery settings shared by all apps.
    pub webhooks: WebhookSettings,
    /// Seconds `main` waits for connections to close on shutdown.
    pub shutdown_timeout: u64,
    /// Bounds on hostile clients (`[server.limits]`).
    pub limits: ServerLimits,
    /// Serve `GET /debug/stats` (live tokio tasks, connections); off by default.
    pub debug_stats: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            activity_timeout: 120,
            pong_timeout: 30,
            max_message_bytes: 20 * 1024,
            outbound_queue_bytes: 1024 * 1024,
            webhooks: WebhookSettings::default(),
            shutdown_timeout: 10,
            limits: ServerLimits::default(),
            debug_stats: false,
        }
    }
}

/// How webhooks are batched, delayed and retried (`[server.webhooks]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Milliseconds events wait to be sent together in one request.
    pub batch_window_ms: u64,
    /// Most events in one request.
    pub batch_max_events: usize,
    /// Milliseconds `channel_vacated`/`member_removed` wait, dropped if the channel or member comes back.
    pub grace_ms: u64,
    /// Seconds a failing delivery is retried (with backoff) before it is given up and counted.
    pub retry_for_secs: u64,
    /// Seconds one delivery attempt may take.
    pub timeout_secs: u64,
    /// Events waiting for the dispatcher before new ones are dropped (and counted).
    pub queue_capacity: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            batch_window_ms: 100,
            batch_max_events: 50,
            grace_ms: 3000,
            retry_for_secs: 300,
            timeout_secs: 10,
            queue_capacity: 10_000,
        }
    }
}

impl ServerConfig {
    #[must_use]
    pub fn activity_timeout(&self) -> Duration {
        Duration::from_secs(self.activity_timeout)
    }

    #[must_use]
    pub fn pong_timeout(&self) -> Duration {
        Duration::from_secs(self.pong_timeout)
    }
}

/// Reads environment variables; a seam so tests need not touch the process environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Config {
    /// Parses TOML text; `path` only names the file in errors.
    ///
    /// # Errors
    /// [`ConfigError::Parse`] naming the field and line.
    pub fn from_toml(text: &str, path: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            error: Box::new(e),
        })
    }

    /// Reads and parses a TOML file.
    ///
    /// # Errors
    /// [`ConfigError::Read`] or [`ConfigError::Parse`].
    pub fn from_file(path: &str) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.into(),
            error,
        })?;
        Self::from_toml(&text, path)
    }

    /// Applies environment overrides: `RESSO_HOST`/`RESSO_PORT`, then Reverb's
    /// `REVERB_SERVER_HOST`/`REVERB_SERVER_PORT` or `REVERB_HOST`/`REVERB_PORT`, and an app from
    /// `REVERB_APP_ID`/`REVERB_APP_KEY`/`REVERB_APP_SECRET` (replacing one with the same id).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a port that is not a number or an incomplete Reverb app.
    pub fn apply_env(&mut self, env: &dyn Env) -> Result<(), ConfigError> {
        let first = |names: &[&'static str]| names.iter().find_map(|n| env.var(n).map(|v| (*n, v)));
        if let Some((_, host)) = first(&["RESSO_HOST", "REVERB_SERVER_HOST", "REVERB_HOST"]) {
            self.server.host = host;
        }
        if let Some((name, port)) = first(&["RESSO_PORT", "REVERB_SERVER_PORT", "REVERB_PORT"]) {
            self.server.port = port
                .parse()
                .map_err(|_| invalid(name, format!("{port:?} is not a port number")))?;
        }
        let reverb = ["REVERB_APP_ID", "REVERB_APP_KEY", "REVERB_APP_SECRET"].map(|n| env.var(n));
        match reverb {
            [Some(id), Some(key), Some(secret)] => {
                self.apps.retain(|a| a.id != id);
                self.apps
                    .push(AppConfig::with_credentials(&id, &key, &secret));
            }
            [None, None, None] => {}
            _ => {
                return Err(invalid(
                    "REVERB_APP_ID/REVERB_APP_KEY/REVERB_APP_SECRET",
                    "set all three or none",
                ))
            }
        }
        Ok(())
    }

    /// Adds the development app when no app is configured; returns whether it did.
    pub fn ensure_app(&mut self) -> bool {
        if !self.apps.is_empty() {
            return false;
        }
        self.apps.push(AppConfig::development());
        true
    }

    /// Checks what serde cannot: non-empty credentials, unique ids and keys, sane numbers.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.server;
        if s.activity_timeout == 0 {
            return Err(invalid(
                "server.activity_timeout",
                "must be at least 1 second",
            ));
        }
        if s.pong_timeout == 0 {
            return Err(invalid("server.pong_timeout", "must be at least 1 second"));
        }
        if s.max_message_bytes < 256 {
            return Err(invalid("server.max_message_bytes", "must be at least 256"));
        }
        if s.outbound_queue_bytes < 16 * 1024 {
            return Err(invalid(
                "server.outbound_queue_bytes",
                "must be at least 16384",
            ));
        }
        s.limits.validate()?;
        for (i, app) in self.apps.iter().enumerate() {
            validate_app(app, i, &self.apps[..i])?;
            if let Some(sio) = &app.socketio {
                let earlier: Vec<_> = self.apps[..i].iter().map(|a| a.socketio.as_ref()).collect();
                socketio::validate(sio, i, &earlier)?;
            }
        }
        self.cluster.validate()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct MapEnv(HashMap<&'static str, &'static str>);

    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    #[test]
    fn file_values_and_defaults() {
        let c = Config::from_toml(
            "[server]\nport = 9000\n[[apps]]\nid='1'\nkey='k'\nsecret='s'\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            (c.server.port, c.server.activity_timeout, c.apps.len()),
            (9000, 120, 1)
        );
        assert!(!c.apps[0].client_events && c.apps[0].enabled);
        c.validate().unwrap();
    }

    #[test]
    fn bad_files_name_the_field() {
        let err = Config::from_toml("[server]\nprot = 1\n", "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("prot"), "{err}");
        let err = Config::from_toml("[server]\nport = 'x'\n", "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("port"), "{err}");
        let c = Config::from_toml("[[apps]]\nid='1'\nkey='k'\nsecret=''\n", "t").unwrap();
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("apps[0].secret"));
        let dup = "[[apps]]\nid='1'\nkey='k'\nsecret='s'\n[[apps]]\nid='2'\nkey='k'\nsecret='s'\n";
        let err = Config::from_toml(dup, "t")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("apps[1].key"), "{err}");
    }

    #[test]
    fn reverb_environment_is_honoured() {
        let env = MapEnv(HashMap::from([
            ("REVERB_APP_ID", "123"),
            ("REVERB_APP_KEY", "laravel-key"),
            ("REVERB_APP_SECRET", "laravel-secret"),
            ("REVERB_HOST", "localhost"),
            ("REVERB_PORT", "8081"),
        ]));
        let mut c = Config::default();
        c.apply_env(&env).unwrap();
        assert!(!c.ensure_app());
        assert_eq!((c.server.host.as_str(), c.server.port), ("localhost", 8081));
        assert_eq!(
            (c.apps[0].id.as_str(), c.apps[0].client_events),
            ("123", true)
        );
        let partial = MapEnv(HashMap::from([("REVERB_APP_ID", "1")]));
        assert!(Config::default().apply_env(&partial).is_err());
        let resso_wins = MapEnv(HashMap::from([
            ("RESSO_PORT", "7000"),
            ("REVERB_PORT", "8081"),
        ]));
        let mut c = Config::default();
        c.apply_env(&resso_wins).unwrap();
        assert_eq!(c.server.port, 7000);
    }

    #[test]
    fn no_app_means_the_development_app() {
        let mut c = Config::default();
        assert!(c.ensure_app());
        assert_eq!(c.apps[0].key, "app-key");
        c.validate().unwrap();
    }
}
