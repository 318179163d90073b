//! The HTTP side of the shared port: the WebSocket routes, the signed HTTP API (§5),
//! laravel-echo-server's `auth_key` API on the same paths (`echo_api` decides per request),
//! `GET /up`, `GET /ready`, `GET /usage`, and a JSON 404 for everything else. Handlers are thin: [`signed::Signed`] authenticates, the pure
//! `resso_protocol::api` validates, the registry answers.

mod body;
mod channels;
mod console;
mod debug;
mod echo_api;
mod error;
mod events;
mod limiter;
pub mod metrics;
mod over_limit;
mod rewind;
mod serve;
mod signed;
mod state;
mod users;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::config::ConsoleConfig;
use crate::{pusher, socketio};

pub use error::ApiFailure;
pub use limiter::ApiLimiter;
pub use serve::{serve, Listener};
pub use state::{Edge, Shared};

/// Every route of the server; `metrics`, when given, is served at `/metrics`, and the debug
/// console at `/console/` when `console` turns it on.
pub fn router(shared: Shared, metrics: Option<Router>, console: &ConsoleConfig) -> Router {
    echo_api::start_clock();
    let router = match metrics {
        Some(page) => Router::new().route_service("/metrics", page),
        None => Router::new(),
    };
    router
        .merge(debug::routes(&shared))
        .merge(console::routes(console))
        .route("/app/{key}", get(pusher::not_upgraded))
        .route("/app/{key}/{*rest}", get(pusher::not_upgraded))
        .route("/apps/{app_id}/events", post(events::events))
        .route("/apps/{app_id}/batch_events", post(events::batch))
        .route("/apps/{app_id}/channels", get(channels::list))
        .route("/apps/{app_id}/connections", get(channels::connections))
        .route("/apps/{app_id}/channels/{channel}", get(channels::one))
        .route(
            "/apps/{app_id}/channels/{channel}/users",
            get(channels::users),
        )
        .route(
            "/apps/{app_id}/users/{user_id}/terminate_connections",
            post(users::terminate),
        )
        .route(
            "/users/{user_id}/terminate_connections",
            post(users::terminate_unprefixed),
        )
        .route("/up", get(|| async { Json(json!({"health": "OK"})) }))
        .route("/ready", get(ready))
        .route("/usage", get(usage))
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            echo_api::dispatch,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            metrics::count_api_call,
        ))
        .with_state(shared)
}

/// Socket.IO polling on an app's path (looked up per request: apps come and go with reloads), else
/// a JSON 404; a Socket.IO request's names the setting that would serve it.
async fn fallback(State(s): State<Shared>, request: Request) -> Response {
    let request = match socketio::serve_polling(s.socketio.clone(), request).await {
        Ok(response) => return response,
        Err(request) => request,
    };
    let uri = request.uri();
    socketio::refuse_unserved(uri.path(), uri.query()).unwrap_or_else(|| {
        let body = json!({"error": "Not found", "code": 404});
        (StatusCode::NOT_FOUND, Json(body)).into_response()
    })
}

/// `GET /ready`: 200 while serving, 503 once shutdown began (a load balancer stops sending new
/// clients while the drain closes the connected ones).
async fn ready(State(s): State<Shared>) -> (StatusCode, Json<serde_json::Value>) {
    if s.shutdown.is_cancelled() {
        let body = json!({"ready": false, "reason": "draining"});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    (StatusCode::OK, Json(json!({"ready": true})))
}

/// `GET /usage`: the process's memory (Soketi's `/usage` fields, in bytes) and this node's open
/// connections, for a load balancer or an autoscaler.
async fn usage(State(s): State<Shared>) -> Json<serde_json::Value> {
    let rss = crate::admission::resident_bytes().unwrap_or(0);
    let (total, free) = crate::admission::machine_bytes().unwrap_or((0, 0));
    #[allow(clippy::cast_precision_loss)] // a percentage
    let percent = if total == 0 {
        0.0
    } else {
        rss as f64 * 100.0 / total as f64
    };
    let connections: u64 = s.registry.connection_counts().values().sum();
    Json(json!({
        "memory": {"usage": rss, "total": total, "free": free, "percent": percent},
        "connections": connections,
    }))
}
