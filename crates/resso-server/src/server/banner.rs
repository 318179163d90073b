//! What `resso` prints once it listens, after its `resso listening on …` line: where each app's
//! clients and backend connect, and for a single app a Laravel Echo configuration to paste.

use std::fmt::Write;
use std::net::SocketAddr;

use crate::config::{AppConfig, Config};

/// Most apps listed one by one; more are counted.
const LISTED: usize = 3;

/// The lines after the listening line, for clients of `config`'s apps on `local`.
#[must_use]
pub fn banner(config: &Config, local: SocketAddr, tls: bool) -> String {
    let host = if local.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        local.ip().to_string()
    };
    let port = local.port();
    let (ws, http) = if tls {
        ("wss", "https")
    } else {
        ("ws", "http")
    };
    let base = format!("{host}:{port}");
    let mut out = String::new();
    for app in config.apps.iter().take(LISTED) {
        let _ = writeln!(out, "  app {} (key {}):", app.id, app.key);
        let _ = writeln!(out, "    Pusher     {ws}://{base}/app/{}", app.key);
        if let Some(sio) = &app.socketio {
            let _ = writeln!(out, "    Socket.IO  {http}://{base}{}/", sio.path);
        }
        let _ = writeln!(out, "    HTTP API   {http}://{base}/apps/{}/events", app.id);
    }
    if config.apps.len() > LISTED {
        let more = config.apps.len() - LISTED;
        let _ = writeln!(
            out,
            "  … and {more} more apps (resso config check lists them)"
        );
    }
    if let [app] = config.apps.as_slice() {
        out.push_str(&echo(app, &host, port, tls));
    }
    out
}

/// Laravel Echo's options for `app`, for both connectors.
fn echo(app: &AppConfig, host: &str, port: u16, tls: bool) -> String {
    let mut out = format!(
        "  Laravel Echo, Pusher connector:\n    new Echo({{ broadcaster: 'reverb', key: '{}', \
         wsHost: '{host}', wsPort: {port}, wssPort: {port}, forceTLS: {tls}, \
         enabledTransports: ['ws', 'wss'] }})\n",
        app.key
    );
    if let Some(sio) = &app.socketio {
        let scheme = if tls { "https" } else { "http" };
        let path = if sio.path == "/socket.io" {
            String::new()
        } else {
            format!(", path: '{}'", sio.path)
        };
        let _ = writeln!(
            out,
            "  Laravel Echo, socket.io connector:\n    new Echo({{ broadcaster: 'socket.io', \
             host: '{scheme}://{host}:{port}'{path}, client: io }})"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_app_gets_its_addresses_and_echo_options() {
        let mut config = Config::default();
        config.apps.push(AppConfig::development());
        let text = banner(&config, "0.0.0.0:8080".parse().unwrap(), false);
        assert!(
            text.contains("Pusher     ws://localhost:8080/app/app-key"),
            "{text}"
        );
        assert!(
            text.contains("Socket.IO  http://localhost:8080/socket.io/"),
            "{text}"
        );
        assert!(
            text.contains("HTTP API   http://localhost:8080/apps/app-id/events"),
            "{text}"
        );
        assert!(text.contains("broadcaster: 'reverb', key: 'app-key', wsHost: 'localhost'"));
        assert!(
            text.contains("host: 'http://localhost:8080', client: io"),
            "{text}"
        );
        assert!(!text.contains("app-secret"), "never the secret: {text}");
    }

    #[test]
    fn many_apps_are_counted_and_get_no_echo_options() {
        let mut config = Config::default();
        for i in 0..5 {
            let mut app = AppConfig::development();
            app.id = format!("id{i}");
            app.key = format!("key{i}");
            config.apps.push(app);
        }
        let text = banner(&config, "127.0.0.1:443".parse().unwrap(), true);
        assert!(text.contains("wss://127.0.0.1:443/app/key2"), "{text}");
        assert!(!text.contains("key3"), "{text}");
        assert!(text.contains("and 2 more apps"), "{text}");
        assert!(!text.contains("new Echo"), "{text}");
    }
}
