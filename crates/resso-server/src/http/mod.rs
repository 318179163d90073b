//! The HTTP side of the shared port: the WebSocket routes, the signed HTTP API (§5),
//! laravel-echo-server's `auth_key` API on the same paths (`echo_api` decides per request),
//! `GET /up`, and a JSON 404 for everything else. Handlers are thin: [`signed::Signed`] authenticates, the pure
//! `resso_protocol::api` validates, the registry answers.

mod body;
mod channels;
mod debug;
mod echo_api;
mod error;
mod events;
mod limiter;
mod over_limit;
mod rewind;
mod serve;
mod signed;
mod state;
mod users;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::{pusher, socketio};

pub use error::ApiFailure;
pub use limiter::ApiLimiter;
pub use serve::{serve, Listener};
pub use state::{Edge, Shared};

/// Every route of the server.
pub fn router(shared: Shared) -> Router {
    echo_api::start_clock();
    Router::new()
        .merge(socketio::routes(&shared.socketio))
        .merge(debug::routes(&shared))
        .route("/app/{key}", get(pusher::not_upgraded))
        .route("/app/{key}/{*rest}", get(pusher::not_upgraded))
        .route("/apps/{app_id}/events", post(events::events))
        .route("/apps/{app_id}/batch_events", post(events::batch))
        .route("/apps/{app_id}/channels", get(channels::list))
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
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "Not found", "code": 404})),
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            echo_api::dispatch,
        ))
        .with_state(shared)
}
