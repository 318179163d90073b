//! Which Pusher-protocol server the app broadcasts through, chosen once at start: an outside one
//! named by Laravel's settings (`BROADCAST_CONNECTION=reverb` with `REVERB_*`, or `pusher` with
//! `PUSHER_*`, read by `resso-broadcasting`), else a Ressò started in-process on its own port.
//! Either way the result is a [`Broadcaster`] for the worker and for `/broadcasting/auth` (which
//! signs with its credentials), and the connection settings the pages hand to Echo
//! ([`EchoOptions`]). Only the
//! in-process Ressò also serves Echo's `socket.io` connector: it is told to authorize private
//! channels by asking this app's `/broadcasting/auth`, which answers it unsigned.

use resso_broadcasting::{Broadcaster, DriverConfig, PusherConfig};
use resso_server::config::SocketIoConfig;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why the broadcasting settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum BroadcastingError {
    #[error("BROADCAST_CONNECTION={0:?} is not supported here: the page needs a Pusher-protocol server (reverb or pusher)")]
    Connection(String),
    #[error(transparent)]
    Config(#[from] resso_broadcasting::ConfigError),
    #[error("{0} must be set when BROADCAST_CONNECTION is set")]
    Missing(String),
    #[error("invalid {name}: {value:?}")]
    Invalid { name: String, value: String },
    #[error("cannot start the embedded Ressò: {0}")]
    Embedded(#[from] std::io::Error),
}

/// What the pages give `new Echo({...})`, one set of options per connector.
#[derive(Debug, Clone)]
pub struct EchoOptions {
    pub pusher: PusherEcho,
    /// `None` when the server is an outside one, whose Socket.IO endpoint (if any) is not known.
    pub socket_io: Option<SocketIoEcho>,
}

/// Echo's `reverb` connector (pusher-js), serialized with Echo's option names.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PusherEcho {
    /// Always `reverb`: Echo's Pusher connector with Reverb's host and port options.
    pub broadcaster: &'static str,
    pub key: String,
    pub ws_host: String,
    pub ws_port: u16,
    pub wss_port: u16,
    #[serde(rename = "forceTLS")]
    pub force_tls: bool,
}

/// Echo's `socket.io` connector (socket.io-client), serialized with Echo's option names.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SocketIoEcho {
    /// Always `socket.io`.
    pub broadcaster: &'static str,
    /// Ressò's base URL (another port than the page's, so another origin).
    pub host: String,
    pub path: String,
    /// Long-polling is cross-origin: without credentials the browser would not send the session
    /// cookie Ressò forwards to `/broadcasting/auth`.
    pub with_credentials: bool,
}

/// A working broadcaster (it publishes, and channel auth signs with its credentials) and how the
/// browser connects.
pub struct Broadcasting {
    pub broadcaster: Broadcaster,
    pub echo: EchoOptions,
    /// Set when Ressò runs in-process: its address, for the start-up banner.
    pub embedded: Option<std::net::SocketAddr>,
}

/// Sets up broadcasting from `var` (the environment), starting Ressò in-process when no outside
/// server is named; `app_url` is this app's own base URL, where that Ressò asks about channels.
///
/// # Errors
/// A [`BroadcastingError`] naming the setting at fault.
pub async fn start(
    var: &impl Fn(&str) -> Option<String>,
    app_url: &str,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) -> Result<Broadcasting, BroadcastingError> {
    let connection = var("BROADCAST_CONNECTION").or_else(|| var("BROADCAST_DRIVER"));
    match connection.as_deref() {
        None => embedded(app_url, shutdown, tracker).await,
        Some("reverb") => outside(var, "REVERB").await,
        Some("pusher") => outside(var, "PUSHER").await,
        Some(other) => Err(BroadcastingError::Connection(other.to_owned())),
    }
}

async fn embedded(
    app_url: &str,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) -> Result<Broadcasting, BroadcastingError> {
    let mut config = resso_server::config::Config::default();
    config.ensure_app();
    // Socket.IO clients carry no signature: Ressò POSTs `channel_name` (no `socket_id`) with the
    // browser's cookie to our `/broadcasting/auth`, which answers `true` for the user's channel.
    let socketio = SocketIoConfig {
        path: "/socket.io".into(),
        auth_host: Some(app_url.to_owned()),
        auth_endpoint: "/broadcasting/auth".into(),
        ..SocketIoConfig::default()
    };
    config.apps[0].socketio = Some(socketio.clone());
    let app = config.apps[0].clone();
    // Port 0: the embedded server never clashes with a Ressò already running on 8080.
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let token = shutdown.clone();
    tracker.spawn(async move {
        if let Err(e) = resso_server::run(listener, config, token).await {
            tracing::error!("embedded Ressò stopped: {e}");
        }
    });
    let pusher = PusherConfig::new(format!("http://{addr}"), app.id, &app.key, &app.secret);
    let broadcaster = Broadcaster::new(DriverConfig::Pusher(pusher).connect().await?);
    let pusher = PusherEcho {
        broadcaster: "reverb",
        key: app.key,
        ws_host: addr.ip().to_string(),
        ws_port: addr.port(),
        wss_port: addr.port(),
        force_tls: false,
    };
    let socket_io = SocketIoEcho {
        broadcaster: "socket.io",
        host: format!("http://{addr}"),
        path: socketio.path,
        with_credentials: true,
    };
    let echo = EchoOptions {
        pusher,
        socket_io: Some(socket_io),
    };
    Ok(Broadcasting {
        broadcaster,
        echo,
        embedded: Some(addr),
    })
}

/// An outside server: the library reads the driver from Laravel's settings; the page connects to
/// the same `{prefix}_HOST`, `_PORT` and `_SCHEME` (Laravel passes them on as `VITE_REVERB_*`).
async fn outside(
    var: &impl Fn(&str) -> Option<String>,
    prefix: &str,
) -> Result<Broadcasting, BroadcastingError> {
    let DriverConfig::Pusher(pusher) = DriverConfig::from_vars(var)? else {
        return Err(BroadcastingError::Connection(prefix.to_lowercase()));
    };
    let echo = EchoOptions {
        pusher: echo_options(var, prefix, &pusher.key)?,
        socket_io: None,
    };
    let driver = DriverConfig::Pusher(pusher).connect().await?;
    Ok(Broadcasting {
        broadcaster: Broadcaster::new(driver),
        echo,
        embedded: None,
    })
}

fn echo_options(
    var: &impl Fn(&str) -> Option<String>,
    prefix: &str,
    key: &str,
) -> Result<PusherEcho, BroadcastingError> {
    let scheme = var(&format!("{prefix}_SCHEME")).unwrap_or_else(|| "https".into());
    let tls = scheme == "https";
    let host = var(&format!("{prefix}_HOST"))
        .ok_or_else(|| BroadcastingError::Missing(format!("{prefix}_HOST")))?;
    let port = match var(&format!("{prefix}_PORT")) {
        None if tls => 443,
        None => 80,
        Some(value) => value.parse().map_err(|_| BroadcastingError::Invalid {
            name: format!("{prefix}_PORT"),
            value,
        })?,
    };
    Ok(PusherEcho {
        broadcaster: "reverb",
        key: key.to_owned(),
        ws_host: host,
        ws_port: port,
        wss_port: port,
        force_tls: tls,
    })
}
