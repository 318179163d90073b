//! Typed configuration, checked before anything starts. Sources, later ones winning: built-in
//! defaults, a TOML file (or an unchanged laravel-echo-server.json), environment variables
//! (Ressò's `RESSO_*`, Laravel Reverb's `REVERB_*` and Soketi's `SOKETI_*`, so a Laravel `.env`
//! or a Soketi deployment works unchanged), then CLI flags. [`load`] applies them in that order,
//! records where each value came from ([`Origins`], shown by `resso config check`) and returns
//! what to warn about as data ([`Warning`]). With no app configured anywhere, one development app
//! is made on a loopback address, and start-up is refused on any other.

use std::time::Duration;

use serde::{Deserialize, Serialize};

mod app;
mod app_store;
mod cluster;
mod console;
mod echo_api;
mod echo_server;
mod env;
mod ingest;
mod limits;
mod load;
mod metrics;
mod origin;
pub mod report;
mod socketio;
mod soketi_hooks;
mod tls;
mod vars;
mod warning;

use app::validate_app;
pub use app::{AppConfig, AppLimits, WebhookConfig, WEBHOOK_EVENTS};
pub use app_store::{AppStoreConfig, Driver};
pub use cluster::{Backend, ClusterConfig};
pub use console::ConsoleConfig;
pub use echo_api::{EchoApiConfig, EchoClient, EchoCors};
pub use echo_server::{EchoServer, ECHO_APP};
pub use ingest::IngestConfig;
pub use limits::ServerLimits;
pub use load::{load, Loaded, Sources};
pub use metrics::MetricsConfig;
pub use origin::{Origin, Origins};
pub use socketio::{Recovery, SocketIoConfig};
pub use soketi_hooks::{soketi_webhooks, SoketiHooks};
pub use tls::TlsConfig;
#[cfg(test)]
pub(crate) use vars::MapEnv;
pub use vars::{Env, HeldEnv, ProcessEnv};
pub use warning::{Unhonoured, Warning};

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
    #[error(
        "no app is configured, and the development app's public credentials are served on a \
         loopback address only, not on {host}: add an app as [[apps]] (id, key, secret) in the \
         --config file, or set REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET (or \
         SOKETI_DEFAULT_APP_ID, SOKETI_DEFAULT_APP_KEY and SOKETI_DEFAULT_APP_SECRET)"
    )]
    NoApp { host: String },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub apps: Vec<AppConfig>,
    #[serde(default)]
    pub cluster: ClusterConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// The debug console (`[console]`); off unless a user and a password are set.
    #[serde(default)]
    pub console: ConsoleConfig,
    /// Apps kept in a database, beside `apps` (`[app_store]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_store: Option<AppStoreConfig>,
}

/// Listener and connection settings shared by every app.
#[derive(Debug, Clone, Deserialize, Serialize)]
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
    /// Seconds over which clients are closed with 4200 on shutdown, a share of them at a time, so
    /// they do not all reconnect to the remaining nodes at the same instant.
    pub drain_seconds: u64,
    /// Seconds `main` waits, after the drain, for connections to close and webhooks to flush.
    pub shutdown_timeout: u64,
    /// Bounds on hostile clients (`[server.limits]`).
    pub limits: ServerLimits,
    /// Serve `GET /debug/stats` (live tokio tasks, connections); off by default.
    pub debug_stats: bool,
    /// Log every connection, subscription, refusal, client event, API call and published event
    /// (`--debug`, `SOKETI_DEBUG`, laravel-echo-server's `devMode`); off by default.
    pub debug: bool,
    /// TLS on `port` (`[server.tls]`); none by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
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
            drain_seconds: 10,
            shutdown_timeout: 10,
            limits: ServerLimits::default(),
            debug_stats: false,
            debug: false,
            tls: None,
        }
    }
}

/// How webhooks are batched, delayed and retried (`[server.webhooks]`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
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
        if let Some(tls) = &s.tls {
            tls.validate(s.port)?;
        }
        for (i, app) in self.apps.iter().enumerate() {
            validate_app(app, i, &self.apps[..i])?;
            if let Some(sio) = &app.socketio {
                let earlier: Vec<_> = self.apps[..i].iter().map(|a| a.socketio.as_ref()).collect();
                socketio::validate(sio, i, &earlier)?;
            }
        }
        self.metrics.validate()?;
        self.console.validate()?;
        if let Some(store) = &self.app_store {
            store.validate()?;
        }
        self.cluster.validate()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

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
        // REVERB_HOST/REVERB_PORT are the public address browsers use, never where the server
        // listens: Reverb's own defaults (REVERB_SERVER_HOST/PORT unset) apply.
        assert_eq!((c.server.host.as_str(), c.server.port), ("0.0.0.0", 8080));
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
