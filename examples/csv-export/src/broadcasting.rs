//! Which Pusher-protocol server the app broadcasts through, chosen once at start: an outside one
//! named by Laravel's settings (`BROADCAST_CONNECTION=reverb` with `REVERB_*`, or `pusher` with
//! `PUSHER_*`), else a Ressò started in-process on its own port. Either way the result is a
//! publisher for the worker and the connection settings the page hands to Echo.

use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::pusher::{Credentials, Publisher};

/// Why the broadcasting settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum BroadcastingError {
    #[error("BROADCAST_CONNECTION={0:?} is not supported here (use reverb or pusher)")]
    Connection(String),
    #[error("{0} must be set when BROADCAST_CONNECTION is set")]
    Missing(String),
    #[error("invalid {name}: {value:?}")]
    Invalid { name: String, value: String },
    #[error("cannot start the embedded Ressò: {0}")]
    Embedded(#[from] std::io::Error),
}

/// What the page gives `new Echo({...})`, serialized with Echo's option names.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EchoOptions {
    /// Echo's broadcaster: `reverb` here; a Socket.IO page would pass `socket.io` and its host.
    pub broadcaster: &'static str,
    pub key: String,
    pub ws_host: String,
    pub ws_port: u16,
    pub wss_port: u16,
    #[serde(rename = "forceTLS")]
    pub force_tls: bool,
}

/// A working broadcaster: who publishes, and how the browser connects.
pub struct Broadcasting {
    pub publisher: Publisher,
    pub echo: EchoOptions,
    /// Set when Ressò runs in-process: its address, for the start-up banner.
    pub embedded: Option<std::net::SocketAddr>,
}

/// Sets up broadcasting from `var` (the environment), starting Ressò in-process when no outside
/// server is named.
///
/// # Errors
/// A [`BroadcastingError`] naming the setting at fault.
pub async fn start(
    var: &impl Fn(&str) -> Option<String>,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) -> Result<Broadcasting, BroadcastingError> {
    let connection = var("BROADCAST_CONNECTION").or_else(|| var("BROADCAST_DRIVER"));
    match connection.as_deref() {
        None => embedded(shutdown, tracker).await,
        Some("reverb") => outside(var, "REVERB"),
        Some("pusher") => outside(var, "PUSHER"),
        Some(other) => Err(BroadcastingError::Connection(other.to_owned())),
    }
}

async fn embedded(
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) -> Result<Broadcasting, BroadcastingError> {
    let mut config = resso_server::config::Config::default();
    config.ensure_app();
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
    let publisher = Publisher::new(Credentials {
        base_url: format!("http://{addr}"),
        app_id: app.id,
        key: app.key.clone(),
        secret: app.secret,
    });
    let echo = EchoOptions {
        broadcaster: "reverb",
        key: app.key,
        ws_host: addr.ip().to_string(),
        ws_port: addr.port(),
        wss_port: addr.port(),
        force_tls: false,
    };
    Ok(Broadcasting {
        publisher,
        echo,
        embedded: Some(addr),
    })
}

/// An outside server from `{prefix}_APP_ID`, `_APP_KEY`, `_APP_SECRET`, `_HOST`, `_PORT`,
/// `_SCHEME` (Laravel's names; the page connects to the same host and port).
fn outside(
    var: &impl Fn(&str) -> Option<String>,
    prefix: &str,
) -> Result<Broadcasting, BroadcastingError> {
    let get = |field: &str| {
        let name = format!("{prefix}_{field}");
        var(&name).ok_or(BroadcastingError::Missing(name))
    };
    let scheme = var(&format!("{prefix}_SCHEME")).unwrap_or_else(|| "https".into());
    let tls = scheme == "https";
    let host = get("HOST")?;
    let port = match var(&format!("{prefix}_PORT")) {
        None => {
            if tls {
                443
            } else {
                80
            }
        }
        Some(value) => value.parse().map_err(|_| BroadcastingError::Invalid {
            name: format!("{prefix}_PORT"),
            value,
        })?,
    };
    let key = get("APP_KEY")?;
    let publisher = Publisher::new(Credentials {
        base_url: format!("{scheme}://{host}:{port}"),
        app_id: get("APP_ID")?,
        key: key.clone(),
        secret: get("APP_SECRET")?,
    });
    let echo = EchoOptions {
        broadcaster: "reverb",
        key,
        ws_host: host,
        ws_port: port,
        wss_port: port,
        force_tls: tls,
    };
    Ok(Broadcasting {
        publisher,
        echo,
        embedded: None,
    })
}
