//! What the HTTP edge shares among its handlers and hands to the two connection endpoints: built
//! once by [`crate::server`], cloned per connection as one `Arc`.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ApiLimiter;
use crate::admission::MemoryCeiling;
use crate::apps::Apps;
use crate::config::ServerConfig;
use crate::registry::Registry;
use crate::{pusher, socketio};

/// The edge's state; handlers take `State<Shared>`, the Socket.IO routes their own part of it.
pub type Shared = Arc<Edge>;

pub struct Edge {
    pub apps: Arc<Apps>,
    pub registry: Registry,
    pub settings: Arc<ServerConfig>,
    pub api_limiter: ApiLimiter,
    /// Whether the process is above `[server.limits] max_rss_mb`.
    pub memory: Arc<MemoryCeiling>,
    /// The Pusher WebSocket endpoint.
    pub pusher: pusher::Endpoint,
    /// The Socket.IO endpoint (polling routes and websocket upgrades).
    pub socketio: socketio::Endpoint,
    /// Cancelled when shutdown begins: clients are refused and drained, `/ready` answers 503.
    pub shutdown: CancellationToken,
    /// Cancelled once the drain is over: the accept loop and HTTP connections stop.
    pub stop: CancellationToken,
    pub tracker: TaskTracker,
}

impl axum::extract::FromRef<Shared> for socketio::Endpoint {
    fn from_ref(shared: &Shared) -> Self {
        shared.socketio.clone()
    }
}

impl Edge {
    /// The edge over `registry` for `apps` and `settings`.
    pub fn new(
        apps: Arc<Apps>,
        registry: Registry,
        settings: ServerConfig,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Shared {
        let settings = Arc::new(settings);
        let pusher = pusher::Endpoint {
            apps: apps.clone(),
            registry: registry.clone(),
            settings: settings.clone(),
            ids: Arc::default(),
            shutdown: shutdown.clone(),
        };
        let echo = socketio::echo::Echo::default();
        registry.serve_handovers(echo.sessions());
        let socketio = socketio::Endpoint {
            apps: apps.clone(),
            registry: registry.clone(),
            settings: settings.clone(),
            echo,
            sessions: Arc::default(),
            tracker: tracker.clone(),
        };
        Arc::new(Self {
            apps,
            registry,
            settings,
            api_limiter: ApiLimiter::default(),
            memory: Arc::default(),
            pusher,
            socketio,
            shutdown,
            stop: CancellationToken::new(),
            tracker,
        })
    }

    /// What a unit test of a connection's task needs: `apps`, default settings, nothing running.
    #[cfg(test)]
    pub(crate) fn for_tests(apps: &[crate::config::AppConfig]) -> Shared {
        let apps = Arc::new(Apps::new(apps));
        let (shutdown, tracker) = (CancellationToken::new(), TaskTracker::new());
        Self::new(
            apps,
            Registry::default(),
            ServerConfig::default(),
            shutdown,
            tracker,
        )
    }
}
