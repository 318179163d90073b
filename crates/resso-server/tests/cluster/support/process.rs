//! Ressò node processes: the `resso` binary with a temporary TOML config, started on port 0.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use resso_test_kit::Proc;

use super::{Backend, Broker};

/// App settings of the main test app, the same on every node.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub max_connections: Option<u64>,
    /// Webhook endpoint (all events).
    pub webhook: Option<String>,
    /// `subscription_count = true`.
    pub subscription_count: bool,
    /// `ingest = { url, prefix }`: Laravel's redis broadcaster.
    pub ingest: Option<(String, String)>,
    /// `limits.client_events_per_second` (Pusher's 10 when `None`).
    pub client_events_per_second: Option<u32>,
    /// A broker that needs this password (given to the nodes in its URL).
    pub broker_password: Option<&'static str>,
    /// The Socket.IO app's `auth_host` (its private and presence channels are refused without).
    pub socketio_auth: Option<String>,
}

/// One Ressò node process.
pub struct Node {
    pub name: String,
    pub addr: SocketAddr,
    proc: Proc,
    alive: bool,
}

impl Node {
    /// Writes the config, starts `resso --config FILE --port 0` and reads the address it prints.
    pub async fn start(name: &str, dir: &Path, broker: &Broker, options: &Options) -> Self {
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(&config, config_toml(broker, options)).expect("write the node config");
        let mut command = Command::new(env!("CARGO_BIN_EXE_resso"));
        command.arg("--config").arg(&config).args(["--port", "0"]);
        command.env("RESSO_LOG", "info,resso_server::cluster=debug");
        let inherited = [
            "RESSO_CONFIG",
            "RESSO_HOST",
            "RESSO_PORT",
            "REVERB_SERVER_HOST",
            "REVERB_SERVER_PORT",
            "REVERB_HOST",
            "REVERB_PORT",
            "REVERB_APP_ID",
            "REVERB_APP_KEY",
            "REVERB_APP_SECRET",
        ];
        for var in inherited {
            command.env_remove(var);
        }
        let log = dir.join(format!("{name}.log"));
        let mut proc = Proc::spawn(name, command, &log, true);
        let addr = proc.printed_address().await;
        Self {
            name: name.to_owned(),
            addr,
            proc,
            alive: true,
        }
    }

    pub fn is_alive(&self) -> bool {
        self.alive
    }

    /// Whether the process is still running (it must not have crashed).
    pub fn running(&mut self) -> bool {
        self.alive && self.proc.alive()
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        self.proc.kill();
        self.alive = false;
    }
}

fn config_toml(broker: &Broker, options: &Options) -> String {
    use super::{MAIN, PROBE};
    let backend = match broker.backend {
        Backend::Redis => "redis",
        Backend::Nats => "nats",
    };
    let mut main_extra = String::new();
    let socketio = options
        .socketio_auth
        .as_ref()
        .map_or_else(String::new, |host| format!("auth_host = \"{host}\""));
    if let Some(max) = options.max_connections {
        main_extra.push_str(&format!("max_connections = {max}\n"));
    }
    if options.subscription_count {
        main_extra.push_str("subscription_count = true\n");
    }
    if let Some((url, prefix)) = &options.ingest {
        main_extra.push_str(&format!(
            "ingest = {{ url = \"{url}\", prefix = \"{prefix}\" }}\n"
        ));
    }
    if let Some(rate) = options.client_events_per_second {
        main_extra.push_str(&format!(
            "limits = {{ client_events_per_second = {rate} }}\n"
        ));
    }
    if let Some(url) = &options.webhook {
        main_extra.push_str(&format!("webhooks = [{{ url = \"{url}\" }}]\n"));
    }
    // laravel-echo-server's API, for its cluster-wide connection count (`Api::connections`).
    let (echo_id, echo_key) = super::api::ECHO;
    main_extra.push_str(&format!(
        "echo_api = {{ clients = [{{ app_id = \"{echo_id}\", key = \"{echo_key}\" }}] }}\n"
    ));
    format!(
        r#"
[server]
host = "127.0.0.1"
shutdown_timeout = 1

[server.webhooks]
grace_ms = 200
batch_window_ms = 20
retry_for_secs = 5

[[apps]]
id = "{}"
key = "{}"
secret = "{}"
client_events = true
socketio = {{ {socketio} }}
{main_extra}
[[apps]]
id = "{}"
key = "{}"
secret = "{}"

[cluster]
backend = "{backend}"
url = "{}"
prefix = "test-"
heartbeat_ms = 200
node_timeout_ms = 1000
"#,
        MAIN.id,
        MAIN.key,
        MAIN.secret,
        PROBE.id,
        PROBE.key,
        PROBE.secret,
        broker.url()
    )
}
