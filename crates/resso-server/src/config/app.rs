//! Per-app configuration: credentials, feature switches, limits (Pusher's values by default) and
//! webhooks. Checked by [`validate_app`] before the server starts.

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError, EchoApiConfig, IngestConfig, SocketIoConfig};

/// One app: credentials and per-app switches.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub id: String,
    pub key: String,
    pub secret: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether clients may send `client-*` events (Pusher's default is off).
    #[serde(default)]
    pub client_events: bool,
    /// Most simultaneous connections; `None` for no limit.
    #[serde(default)]
    pub max_connections: Option<u64>,
    /// Origins allowed to open WebSockets (`*` or empty for any); matched against the host of `Origin`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Send `pusher_internal:subscription_count` to subscribers of non-presence channels.
    #[serde(default)]
    pub subscription_count: bool,
    /// Seconds a connection may stay without signing in or joining a private/presence channel
    /// before it is closed with 4009; `None` lets it stay.
    #[serde(default)]
    pub authorized_connections_timeout: Option<u64>,
    /// Seconds a Pusher connection may stay without having subscribed to any channel before it is
    /// closed with 4009 (which pusher-js does not retry); `None` lets it stay.
    #[serde(default)]
    pub unsubscribed_timeout: Option<u64>,
    /// Seconds a cache channel keeps its last event.
    #[serde(default = "default_cache_ttl")]
    pub cache_ttl: u64,
    #[serde(default)]
    pub limits: AppLimits,
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// Events published by Laravel's `redis` broadcaster, relayed to this app's clients.
    #[serde(default)]
    pub ingest: Option<IngestConfig>,
    /// laravel-echo-server's HTTP API (`auth_key` clients) for this app.
    #[serde(default)]
    pub echo_api: Option<EchoApiConfig>,
    /// The app's Socket.IO endpoint (`[apps.socketio]`); `None` serves no Socket.IO clients.
    #[serde(default)]
    pub socketio: Option<SocketIoConfig>,
}

const fn yes() -> bool {
    true
}

const fn default_cache_ttl() -> u64 {
    1800
}

/// Per-app limits; the defaults are Pusher's.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AppLimits {
    pub channel_name_length: usize,
    pub event_name_length: usize,
    pub event_data_bytes: usize,
    pub presence_members: usize,
    pub user_info_bytes: usize,
    pub client_events_per_second: u32,
    /// HTTP API requests per second before 429; `None` for no limit.
    pub api_requests_per_second: Option<u32>,
    /// Channels one connection (Pusher or Socket.IO) may be subscribed to at once; more are
    /// refused, so one client cannot grow the registry without bound.
    pub channels_per_connection: usize,
}

impl Default for AppLimits {
    fn default() -> Self {
        Self {
            channel_name_length: 200,
            event_name_length: 200,
            event_data_bytes: 10 * 1024,
            presence_members: 100,
            user_info_bytes: 1024,
            client_events_per_second: 10,
            api_requests_per_second: None,
            channels_per_connection: 1000,
        }
    }
}

/// One webhook endpoint of an app.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (`http://…`).
    pub url: String,
    /// Event names to send (`channel_occupied`, …); empty for all.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Only events on channels whose name starts with this.
    #[serde(default)]
    pub channel_prefix: Option<String>,
}

/// Webhook event names an endpoint may ask for.
pub const WEBHOOK_EVENTS: [&str; 7] = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
    "client_event",
    "cache_miss",
    "subscription_count",
];

impl AppConfig {
    /// The development app used when none is configured: the credentials Soketi and many tutorials use.
    #[must_use]
    pub fn development() -> Self {
        Self {
            socketio: Some(SocketIoConfig::default()),
            ..Self::with_credentials("app-id", "app-key", "app-secret")
        }
    }

    /// An app with client events on, as Reverb's default app has.
    #[must_use]
    pub fn with_credentials(id: &str, key: &str, secret: &str) -> Self {
        Self {
            id: id.into(),
            key: key.into(),
            secret: secret.into(),
            enabled: true,
            client_events: true,
            max_connections: None,
            allowed_origins: Vec::new(),
            subscription_count: false,
            authorized_connections_timeout: None,
            unsubscribed_timeout: None,
            cache_ttl: default_cache_ttl(),
            limits: AppLimits::default(),
            webhooks: Vec::new(),
            ingest: None,
            echo_api: None,
            socketio: None,
        }
    }
}

impl AppConfig {
    /// Checks this app on its own (an app from a database), its Socket.IO endpoint included.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first bad field.
    pub fn check(&self) -> Result<(), ConfigError> {
        validate_app(self, 0, &[])?;
        match &self.socketio {
            Some(sio) => super::socketio::validate(sio, 0, &[]),
            None => Ok(()),
        }
    }
}

/// Checks app `i` on its own and against the apps before it.
pub(super) fn validate_app(
    app: &AppConfig,
    i: usize,
    earlier: &[AppConfig],
) -> Result<(), ConfigError> {
    let field = |name: &str| format!("apps[{i}].{name}");
    for (name, value) in [("id", &app.id), ("key", &app.key), ("secret", &app.secret)] {
        if value.is_empty() {
            return Err(invalid(field(name), "must not be empty"));
        }
    }
    if app.key.contains(['/', '?', '#']) {
        return Err(invalid(field("key"), "must not contain '/', '?' or '#'"));
    }
    if earlier.iter().any(|a| a.id == app.id) {
        return Err(invalid(
            field("id"),
            format!("{:?} is used by another app", app.id),
        ));
    }
    if earlier.iter().any(|a| a.key == app.key) {
        return Err(invalid(
            field("key"),
            format!("{:?} is used by another app", app.key),
        ));
    }
    for (name, value) in [
        (
            "authorized_connections_timeout",
            app.authorized_connections_timeout,
        ),
        ("unsubscribed_timeout", app.unsubscribed_timeout),
    ] {
        if value == Some(0) {
            return Err(invalid(field(name), "must be at least 1 second"));
        }
    }
    if app.limits.channels_per_connection == 0 {
        return Err(invalid(
            field("limits.channels_per_connection"),
            "must be at least 1",
        ));
    }
    if let Some(ingest) = &app.ingest {
        ingest.validate(&field("ingest"))?;
    }
    if let Some(api) = &app.echo_api {
        api.validate(&field("echo_api"), earlier)?;
    }
    validate_webhooks(&app.webhooks, &field)
}

fn validate_webhooks(
    hooks: &[WebhookConfig],
    field: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    for (j, hook) in hooks.iter().enumerate() {
        if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
            return Err(invalid(
                field(&format!("webhooks[{j}].url")),
                "must start with http:// or https://",
            ));
        }
        if let Some(bad) = hook
            .event_types
            .iter()
            .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
        {
            let reason = format!(
                "unknown event type {bad:?}; known: {}",
                WEBHOOK_EVENTS.join(", ")
            );
            return Err(invalid(
                field(&format!("webhooks[{j}].event_types")),
                reason,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    #[test]
    fn app_options_parse_and_validate() {
        let text = r#"
            [[apps]]
            id = "1"
            key = "k"
            secret = "s"
            subscription_count = true
            limits = { presence_members = 5, api_requests_per_second = 100 }
            webhooks = [{ url = "http://127.0.0.1:9/hook", event_types = ["channel_occupied"] }]
        "#;
        let c = Config::from_toml(text, "t").unwrap();
        c.validate().unwrap();
        let app = &c.apps[0];
        assert!(app.subscription_count);
        assert_eq!(
            (app.limits.presence_members, app.limits.event_data_bytes),
            (5, 10 * 1024)
        );
        assert_eq!(app.limits.api_requests_per_second, Some(100));
        assert_eq!(app.webhooks[0].event_types, ["channel_occupied"]);
    }

    #[test]
    fn bad_webhooks_name_the_field() {
        let bad = |hook: &str| {
            let text = format!("[[apps]]\nid='1'\nkey='k'\nsecret='s'\nwebhooks=[{hook}]\n");
            Config::from_toml(&text, "t")
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string()
        };
        assert!(bad(r#"{ url = "ftp://x" }"#).contains("apps[0].webhooks[0].url"));
        assert!(bad(r#"{ url = "http://x", event_types = ["nope"] }"#)
            .contains("webhooks[0].event_types"));
    }

    #[test]
    fn a_zero_channel_cap_is_refused() {
        let text = "[[apps]]\nid='1'\nkey='k'\nsecret='s'\nlimits={channels_per_connection=0}\n";
        let error = Config::from_toml(text, "t")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(error
            .to_string()
            .contains("apps[0].limits.channels_per_connection"));
    }
}
