//! The extractor that authenticates an HTTP API request: it finds the app named in the path, reads
//! the body, and verifies the signature over the raw path, the decoded query and the exact body.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use resso_protocol::http_sig::{self, Query};

use super::ApiFailure;
use crate::apps::App;
use crate::http::Shared;
use crate::metrics::Limiter;
use crate::refusals::{self, Reason};
use crate::tap::Entry;

/// An authenticated HTTP API request.
pub struct Signed {
    pub app: Arc<App>,
    pub query: Query,
    pub body: Bytes,
}

impl FromRequest<Shared> for Signed {
    type Rejection = ApiFailure;

    async fn from_request(req: Request, s: &Shared) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path();
        let query = Query::parse(parts.uri.query().unwrap_or(""));
        let app = find_app(s, path, &query)
            .await
            .ok_or(ApiFailure::UnknownApp)?;
        let max = super::body::limit(&app.limits);
        if declared_length(&parts.headers).is_some_and(|n| n > max) {
            return Err(ApiFailure::BodyTooLarge);
        }
        let body = axum::body::to_bytes(body, max).await.map_err(|e| {
            if super::body::timed_out(&e) {
                ApiFailure::BodyTimedOut
            } else {
                ApiFailure::BodyTooLarge
            }
        })?;
        let request = http_sig::Request {
            method: parts.method.as_str(),
            path,
            query: &query,
            body: &body,
        };
        request
            .verify(app.key.as_str(), &app.config.secret, unix_now())
            .inspect_err(|e| {
                let why = format_args!("{} {path}: {e}", parts.method);
                refusals::log(Reason::BadApiSignature, app.id.as_str(), &why);
                app.tap.emit(|| Entry::Refused {
                    reason: format!("HTTP API call refused: bad signature: {why}"),
                });
            })?;
        if !app.config.enabled {
            return Err(ApiFailure::AppDisabled);
        }
        if !s.api_limiter.allow(&app) {
            app.meters.rate_limited(Limiter::HttpApi);
            return Err(ApiFailure::RateLimited);
        }
        Ok(Self { app, query, body })
    }
}

/// The app named in `/apps/{id}/…`, or for the Python SDK's unprefixed `/users/…` path, by `auth_key`.
async fn find_app(s: &Shared, path: &str, query: &Query) -> Option<Arc<App>> {
    match path.strip_prefix("/apps/") {
        Some(rest) => {
            s.apps
                .find_id(rest.split('/').next().unwrap_or_default())
                .await
        }
        None => s.apps.find_key(query.get("auth_key")?).await,
    }
}

/// The `Content-Length` the client declared, if any: a body declared too large is refused unread.
fn declared_length(headers: &axum::http::HeaderMap) -> Option<usize> {
    let value = headers.get(axum::http::header::CONTENT_LENGTH)?;
    value.to_str().ok()?.parse().ok()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
