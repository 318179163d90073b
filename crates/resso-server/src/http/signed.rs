//! The extractor that authenticates an HTTP API request: it finds the app named in the path, reads
//! the body, and verifies the signature over the raw path, the decoded query and the exact body.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use resso_protocol::http_sig::{self, Query};

use super::ApiFailure;
use crate::apps::App;
use crate::Shared;

/// Largest accepted request body (ten 10 KB events plus their envelope, with room to spare).
const MAX_BODY: usize = 1024 * 1024;

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
            .ok_or(ApiFailure::UnknownApp)?
            .clone();
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| ApiFailure::BodyTooLarge)?;
        let request = http_sig::Request {
            method: parts.method.as_str(),
            path,
            query: &query,
            body: &body,
        };
        request.verify(app.key.as_str(), &app.config.secret, unix_now())?;
        if !app.config.enabled {
            return Err(ApiFailure::AppDisabled);
        }
        if !s.api_limiter.allow(&app) {
            return Err(ApiFailure::RateLimited);
        }
        Ok(Self { app, query, body })
    }
}

/// The app named in `/apps/{id}/…`, or for the Python SDK's unprefixed `/users/…` path, by `auth_key`.
fn find_app<'a>(s: &'a Shared, path: &str, query: &Query) -> Option<&'a Arc<App>> {
    match path.strip_prefix("/apps/") {
        Some(rest) => s.apps.by_id(rest.split('/').next().unwrap_or_default()),
        None => s.apps.by_key(query.get("auth_key")?),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
