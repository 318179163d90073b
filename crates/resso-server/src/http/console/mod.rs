//! The debug console at `/console/`: a page (plain HTML, JavaScript and CSS compiled into the
//! binary) that watches one app live — its [`crate::tap`] feed over server-sent events, its
//! channels and presence members, its connection count and message rates — and publishes
//! events through the HTTP API's own path. Off unless `[console]` has a user and a password (the
//! routes then do not exist: a 404 like any unknown path); every route, the page included, sits
//! behind HTTP Basic authentication ([`auth`]).
//!
//! - [`auth`]: the Basic-auth middleware.
//! - [`api`]: the JSON the page reads (apps, channels, charts) and the event creator.
//! - [`feed`]: the live log, one app's tap as server-sent events.

mod api;
mod auth;
mod feed;

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::config::ConsoleConfig;
use crate::http::Shared;
use auth::Access;

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

/// The console's routes when `config` turns it on; an empty router otherwise.
pub fn routes(config: &ConsoleConfig) -> Router<Shared> {
    let Some((user, password)) = config.credentials() else {
        return Router::new();
    };
    let access = Arc::new(Access::new(user, password));
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route(
            "/console/",
            get(|| async { asset(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/console/console.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console/console.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/console/api/apps", get(api::apps))
        .route("/console/api/apps/{app_id}/feed", get(feed::feed))
        .route("/console/api/apps/{app_id}/channels", get(api::channels))
        .route("/console/api/apps/{app_id}/stats", get(api::stats))
        .route("/console/api/apps/{app_id}/events", post(api::send))
        .route("/console/{*rest}", get(api::not_found))
        .route_layer(axum::middleware::from_fn_with_state(access, auth::require))
}

/// A file of the page: never cached (a new binary may ship another), never framed, and allowed
/// to load nothing but its own files.
fn asset(body: &'static str, content_type: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'",
        ),
    ];
    (headers, body).into_response()
}
