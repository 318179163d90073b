//! `GET /metrics`: the Prometheus page, on the main port or on a listener of its own
//! (`[metrics] port`), behind a bearer token when one is configured (401 otherwise).

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::tap::Entry;

use super::Shared;

/// What the page needs.
#[derive(Clone)]
struct Page {
    metrics: Metrics,
    token: Option<String>,
}

/// A router serving only `GET /metrics`.
pub fn router(metrics: Metrics, token: Option<String>) -> Router {
    Router::new()
        .route("/metrics", get(page))
        .with_state(Page { metrics, token })
}

async fn page(State(p): State<Page>, headers: HeaderMap) -> Response {
    if let Some(token) = &p.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
            )
                .into_response();
        }
    }
    let content_type = "text/plain; version=0.0.4; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], p.metrics.render()).into_response()
}

/// Serves `router` on its own `listener` until `stop`.
pub async fn serve_apart(listener: TcpListener, router: Router, stop: CancellationToken) {
    let served = axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned());
    if let Err(e) = served.await {
        tracing::warn!("metrics listener failed: {e}");
    }
}

/// Counts each `/apps/{app_id}/…` request for its app: the call, the request body's bytes (as
/// declared) and the response body's (when known up front, as for every API answer).
pub async fn count_api_call(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let app = request
        .uri()
        .path()
        .strip_prefix("/apps/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| s.apps.by_id(id));
    let received = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let method = app
        .as_ref()
        .filter(|a| a.tap.is_watched())
        .map(|_| (request.method().clone(), request.uri().path().to_owned()));
    let response = next.run(request).await;
    if let (Some(app), Some((method, path))) = (&app, method) {
        app.tap.emit(|| Entry::ApiCall {
            method: method.to_string(),
            path,
            status: response.status().as_u16(),
        });
    }
    if let Some(app) = app {
        let sent = response.body().size_hint().exact().unwrap_or(0);
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        app.meters.http_call(size(received), size(sent));
    }
    response
}
