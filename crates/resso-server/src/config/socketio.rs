//! An app's Socket.IO endpoint (`[apps.socketio]`): where it listens, its Engine.IO heartbeat and
//! payload limit, and where channel authorization asks the app. Defaults are the reference
//! servers' (pingInterval 25 s, pingTimeout 20 s, connectTimeout 45 s, maxPayload 1 MB) and laravel-echo-server's
//! (`/broadcasting/auth`); durations are in milliseconds, as Socket.IO's own options are.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{invalid, ConfigError};

/// One app's Socket.IO settings; an app without them serves no Socket.IO clients. When only one
/// app is configured it gets the defaults unless its `[apps.socketio]` says `enabled = false`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SocketIoConfig {
    /// `false` opts the app out (the only app serves Socket.IO by default).
    pub enabled: bool,
    /// The endpoint's path, without the trailing slash clients add (`/socket.io`).
    pub path: String,
    /// Milliseconds between heartbeats (EIO 4: the server pings; EIO 3: the client does).
    pub ping_interval: u64,
    /// Milliseconds a heartbeat may go unanswered before the socket is closed.
    pub ping_timeout: u64,
    /// Milliseconds a protocol 5 client (socket.io-client 3/4) has to send its CONNECT.
    pub connect_timeout: u64,
    /// Largest message or polling body accepted, in bytes.
    pub max_payload: usize,
    /// Base URL of the app for channel authorization (`http://localhost:8000`); `None` refuses
    /// private and presence subscriptions.
    pub auth_host: Option<String>,
    /// More hosts the app answers on, chosen by the page's `Referer` (laravel-echo-server's
    /// `authHost` list): an origin (`https://shop.test`), a `host:port`, or a `.domain`.
    pub auth_hosts: Vec<String>,
    /// Path of the app's channel authorization endpoint.
    pub auth_endpoint: String,
    /// Milliseconds one authorization call may take.
    pub auth_timeout: u64,
    /// Milliseconds a disconnected socket.io-client 4 session can be recovered (Socket.IO's
    /// `maxDisconnectionDuration`); `0` turns connection state recovery off.
    pub recovery_window: u64,
    /// Most events one recovery replays, and most a channel keeps for it.
    pub recovery_max_events: usize,
    /// Most bytes one recovery replays, and most a channel keeps for it.
    pub recovery_max_bytes: usize,
}

/// Connection state recovery's bounds, when it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// How long a disconnected session waits to be recovered.
    pub window: Duration,
    pub max_events: usize,
    pub max_bytes: usize,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            path: "/socket.io".into(),
            ping_interval: 25_000,
            ping_timeout: 20_000,
            connect_timeout: 45_000,
            max_payload: 1_000_000,
            auth_host: None,
            auth_hosts: Vec::new(),
            auth_endpoint: "/broadcasting/auth".into(),
            auth_timeout: 5_000,
            recovery_window: 120_000,
            recovery_max_events: 1_000,
            recovery_max_bytes: 1 << 20,
        }
    }
}

impl SocketIoConfig {
    #[must_use]
    pub const fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval)
    }

    #[must_use]
    pub const fn ping_timeout(&self) -> Duration {
        Duration::from_millis(self.ping_timeout)
    }

    #[must_use]
    pub const fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout)
    }

    #[must_use]
    pub const fn auth_timeout(&self) -> Duration {
        Duration::from_millis(self.auth_timeout)
    }

    /// Connection state recovery's bounds; `None` when it is off.
    #[must_use]
    pub const fn recovery(&self) -> Option<Recovery> {
        if self.recovery_window == 0 {
            return None;
        }
        Some(Recovery {
            window: Duration::from_millis(self.recovery_window),
            max_events: self.recovery_max_events,
            max_bytes: self.recovery_max_bytes,
        })
    }
}

/// Checks app `i`'s settings against the apps before it (at most one app per path).
pub(super) fn validate(
    sio: &SocketIoConfig,
    i: usize,
    earlier: &[Option<&SocketIoConfig>],
) -> Result<(), ConfigError> {
    let field = |name: &str| format!("apps[{i}].socketio.{name}");
    let p = &sio.path;
    if !p.starts_with('/') || p.ends_with('/') || p.contains(['?', '#']) || p.starts_with("/app/") {
        return Err(invalid(
            field("path"),
            "must start with '/', not end with one, hold no '?' or '#', and not be under /app/",
        ));
    }
    if ["/apps", "/users", "/up"]
        .iter()
        .any(|r| p == r || p.starts_with(&format!("{r}/")))
    {
        return Err(invalid(field("path"), "clashes with an HTTP API route"));
    }
    if earlier.iter().flatten().any(|e| e.path == sio.path) {
        return Err(invalid(
            field("path"),
            format!("{p:?} is used by another app"),
        ));
    }
    for (name, value) in [
        ("ping_interval", sio.ping_interval),
        ("ping_timeout", sio.ping_timeout),
        ("connect_timeout", sio.connect_timeout),
        ("auth_timeout", sio.auth_timeout),
    ] {
        if value == 0 {
            return Err(invalid(field(name), "must be at least 1 millisecond"));
        }
    }
    if sio.recovery_window > 0 && (sio.recovery_max_events == 0 || sio.recovery_max_bytes == 0) {
        return Err(invalid(
            field("recovery_max_events"),
            "recovery_max_events and recovery_max_bytes must be at least 1 while recovery_window is on",
        ));
    }
    if sio.max_payload < 1024 {
        return Err(invalid(field("max_payload"), "must be at least 1024"));
    }
    if !sio.auth_endpoint.starts_with('/') {
        return Err(invalid(field("auth_endpoint"), "must start with '/'"));
    }
    if !sio.auth_hosts.is_empty() && sio.auth_host.is_none() {
        return Err(invalid(field("auth_hosts"), "needs an auth_host beside it"));
    }
    if sio
        .auth_hosts
        .iter()
        .any(|h| h.is_empty() || h.contains(char::is_whitespace))
    {
        return Err(invalid(
            field("auth_hosts"),
            "entries must be non-empty host names",
        ));
    }
    if let Some(host) = &sio.auth_host {
        if !(host.starts_with("http://") || host.starts_with("https://")) {
            return Err(invalid(
                field("auth_host"),
                "must start with http:// or https://",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    fn check(sio: &str) -> Result<Config, String> {
        let text = format!("[[apps]]\nid='1'\nkey='k'\nsecret='s'\n[apps.socketio]\n{sio}\n");
        let c = Config::from_toml(&text, "t").map_err(|e| e.to_string())?;
        c.validate().map_err(|e| e.to_string())?;
        Ok(c)
    }

    #[test]
    fn defaults_and_overrides() {
        let c = check("ping_interval = 100").unwrap();
        let sio = c.apps[0].socketio.as_ref().unwrap();
        assert_eq!(
            (sio.path.as_str(), sio.ping_interval, sio.ping_timeout),
            ("/socket.io", 100, 20_000)
        );
        assert_eq!(sio.auth_endpoint, "/broadcasting/auth");
        let r = sio.recovery().unwrap();
        assert_eq!((r.window.as_millis(), r.max_events), (120_000, 1_000));
        let off = check("recovery_window = 0").unwrap();
        assert!(off.apps[0].socketio.as_ref().unwrap().recovery().is_none());
        assert!(check("recovery_max_events = 0")
            .unwrap_err()
            .contains("recovery_max_events"));
    }

    #[test]
    fn bad_values_name_the_field() {
        assert!(check("path = 'socket.io'")
            .unwrap_err()
            .contains("socketio.path"));
        assert!(check("path = '/apps/x'")
            .unwrap_err()
            .contains("socketio.path"));
        assert!(check("ping_timeout = 0")
            .unwrap_err()
            .contains("socketio.ping_timeout"));
        assert!(check("max_payload = 1")
            .unwrap_err()
            .contains("max_payload"));
        assert!(check("auth_host = 'x'").unwrap_err().contains("auth_host"));
        assert!(check("nope = 1").unwrap_err().contains("nope"));
        let two = "[[apps]]\nid='1'\nkey='k'\nsecret='s'\n[apps.socketio]\n\
                   [[apps]]\nid='2'\nkey='k2'\nsecret='s'\n[apps.socketio]\n";
        let err = Config::from_toml(two, "t")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("apps[1].socketio.path"), "{err}");
    }
}
