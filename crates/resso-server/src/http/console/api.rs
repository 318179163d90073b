//! The JSON the console page reads — the apps to pick from, one app's channels with their
//! subscribers and presence members, its counters for the charts — and the event creator, which
//! publishes through the HTTP API's own validation and fan-out (`POST /apps/{id}/events`), so
//! Pusher and Socket.IO subscribers alike receive it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use resso_protocol::api;
use resso_protocol::ChannelKind;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::apps::App;
use crate::http::{events, ApiFailure, Shared};
use crate::metrics::Limiter;

/// The most channels, and members per channel, one answer lists.
const MAX_CHANNELS: usize = 500;
const MAX_MEMBERS: usize = 100;

/// `GET /console/api/apps`: every app, by id.
pub async fn apps(State(s): State<Shared>) -> Json<Value> {
    let table = s.apps.snapshot();
    let mut apps: Vec<&Arc<App>> = table.iter().collect();
    apps.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let apps: Vec<Value> = apps
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id.as_str(),
                "key": a.key.as_str(),
                "enabled": a.config.enabled,
                "socketio": a.config.socketio.is_some(),
            })
        })
        .collect();
    Json(json!({ "apps": apps }))
}

/// A console route that does not exist (behind the same authentication as the rest).
pub async fn not_found() -> Response {
    failure(StatusCode::NOT_FOUND, "Not found")
}

fn failure(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": message, "code": status.as_u16()});
    (status, Json(body)).into_response()
}

/// `GET /console/api/apps/{id}/channels`: the occupied channels (cluster-wide), their
/// subscriber counts and, on presence channels, their members.
pub async fn channels(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(app) = s.apps.by_id(&id) else {
        return ApiFailure::UnknownApp.into_response();
    };
    let mut all = s.registry.channels(&app.id, "");
    all.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let total = all.len();
    let channels: Vec<Value> = all
        .into_iter()
        .take(MAX_CHANNELS)
        .map(|(name, counts)| {
            let members = (name.kind() == ChannelKind::Presence).then(|| {
                let members = s.registry.members(&app.id, name.as_str());
                let shown = members.into_iter().take(MAX_MEMBERS);
                shown
                    .map(|(id, info)| json!({"id": id.as_str(), "info": info}))
                    .collect::<Vec<_>>()
            });
            json!({
                "name": name.as_str(),
                "subscriptions": counts.subscriptions,
                "users": counts.users,
                "members": members,
            })
        })
        .collect();
    Json(json!({ "channels": channels, "total": total })).into_response()
}

/// `GET /console/api/apps/{id}/stats`: this node's connections of the app and its message totals
/// (the page charts the rates), and the app's connections cluster-wide.
pub async fn stats(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(app) = s.apps.by_id(&id) else {
        return ApiFailure::UnknownApp.into_response();
    };
    let glance = app.meters.glance();
    let everywhere = s.registry.connection_count(&app.id);
    Json(json!({ "here": glance, "connections": everywhere })).into_response()
}

/// What the event creator sends: `data` is JSON text (or any JSON value, sent as its text).
#[derive(Debug, Deserialize)]
pub struct Creation {
    channel: String,
    event: String,
    data: Value,
}

/// `POST /console/api/apps/{id}/events`: publishes as `POST /apps/{id}/events` does, with the
/// same checks (app enabled, API rate limit, names, sizes); answers how many subscribers here got
/// it. Only from the console's own page: a browser's cross-site request is refused by its
/// `Origin`, and one without JSON never gets here.
pub async fn send(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(creation): Json<Creation>,
) -> Response {
    if !same_origin(&headers) {
        return failure(StatusCode::FORBIDDEN, "Cross-origin request refused");
    }
    match publish(&s, &id, creation) {
        Ok(delivered) => Json(json!({ "delivered": delivered })).into_response(),
        Err(failure) => failure.into_response(),
    }
}

fn publish(s: &Shared, id: &str, creation: Creation) -> Result<usize, ApiFailure> {
    let app = s.apps.by_id(id).ok_or(ApiFailure::UnknownApp)?;
    if !app.config.enabled {
        return Err(ApiFailure::AppDisabled);
    }
    if !s.api_limiter.allow(&app) {
        app.meters.rate_limited(Limiter::HttpApi);
        return Err(ApiFailure::RateLimited);
    }
    let data = match creation.data {
        Value::String(text) => {
            serde_json::from_str::<Value>(&text)
                .map_err(|e| ApiFailure::bad_request(format!("data is not JSON: {e}")))?;
            text
        }
        other => other.to_string(),
    };
    let body = json!({"name": creation.event, "channels": [creation.channel], "data": data});
    let publish = api::parse_events(body.to_string().as_bytes(), &app.limits)?;
    Ok(events::deliver(s, &app, &publish))
}

/// Whether a browser request comes from a page on this server (no `Origin`: not a browser's
/// cross-site request).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = origin.to_str().unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    host.is_some_and(|host| host.eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_the_console_page_or_no_browser_may_send() {
        assert!(same_origin(&headers(&[(header::HOST, "h:8080")])));
        assert!(same_origin(&headers(&[
            (header::HOST, "h:8080"),
            (header::ORIGIN, "http://h:8080"),
        ])));
        assert!(!same_origin(&headers(&[
            (header::HOST, "h:8080"),
            (header::ORIGIN, "https://evil.test"),
        ])));
        assert!(!same_origin(&headers(&[(header::ORIGIN, "http://h:8080")])));
    }
}
