//! `GET /apps/{id}/channels`, `/channels/{name}` and `/channels/{name}/users` (§5.5–5.7). Only
//! occupied channels exist; `channels` is always a JSON object, even when empty. And Reverb's
//! `GET /apps/{id}/connections`, answered as Reverb answers it, for tools built for Reverb.

use axum::extract::{Path, State};
use axum::Json;
use resso_protocol::api::Info;
use resso_protocol::{ChannelKind, ChannelName};
use serde_json::{json, Map, Value};

use super::signed::Signed;
use super::ApiFailure;
use crate::http::Shared;

pub async fn list(State(s): State<Shared>, signed: Signed) -> Result<Json<Value>, ApiFailure> {
    let prefix = signed.query.get("filter_by_prefix").unwrap_or("");
    let info = Info::parse(signed.query.get("info"));
    if info.user_count && !prefix.starts_with("presence-") {
        return Err(ApiFailure::bad_request(
            "user_count may only be requested with filter_by_prefix=presence-",
        ));
    }
    let mut channels = Map::new();
    for (name, counts) in s.registry.channels(&signed.app.id, prefix) {
        let mut attrs = Map::new();
        if info.user_count {
            attrs.insert("user_count".into(), counts.users.into());
        }
        if info.subscription_count {
            attrs.insert("subscription_count".into(), counts.subscriptions.into());
        }
        channels.insert(name.to_string(), Value::Object(attrs));
    }
    Ok(Json(json!({ "channels": channels })))
}

/// `{"connections": N}`: the app's open connections, cluster-wide, both protocols (Socket.IO
/// sessions waiting for a recovery included: they keep their place in `max_connections`).
pub async fn connections(State(s): State<Shared>, signed: Signed) -> Json<Value> {
    let connections = s.registry.connection_count(&signed.app.id);
    Json(json!({ "connections": connections }))
}

pub async fn one(
    State(s): State<Shared>,
    Path((_, channel)): Path<(String, String)>,
    signed: Signed,
) -> Result<Json<Value>, ApiFailure> {
    let channel = parse(&channel, &signed)?;
    let info = Info::parse(signed.query.get("info"));
    let presence = channel.kind() == ChannelKind::Presence;
    if info.user_count && !presence {
        return Err(ApiFailure::bad_request(
            "user_count is only available for presence channels",
        ));
    }
    let counts = s.registry.counts(&signed.app.id, channel.as_str());
    let mut body = Map::new();
    body.insert("occupied".into(), (counts.subscriptions > 0).into());
    if info.user_count {
        body.insert("user_count".into(), counts.users.into());
    }
    if info.subscription_count {
        body.insert("subscription_count".into(), counts.subscriptions.into());
    }
    if info.cache && channel.is_cache() {
        let cached = s.registry.cached(&signed.app.id, &channel);
        let cache = cached.map_or(
            Value::Null,
            |c| json!({"data": &*c.data, "ttl": c.ttl_secs}),
        );
        body.insert("cache".into(), cache);
    }
    Ok(Json(Value::Object(body)))
}

pub async fn users(
    State(s): State<Shared>,
    Path((_, channel)): Path<(String, String)>,
    signed: Signed,
) -> Result<Json<Value>, ApiFailure> {
    let channel = parse(&channel, &signed)?;
    if channel.kind() != ChannelKind::Presence {
        return Err(ApiFailure::bad_request(
            "Users are only available for presence channels",
        ));
    }
    let users: Vec<Value> = s
        .registry
        .users(&signed.app.id, channel.as_str())
        .iter()
        .map(|id| json!({"id": id.as_str()}))
        .collect();
    Ok(Json(json!({ "users": users })))
}

fn parse(channel: &str, signed: &Signed) -> Result<ChannelName, ApiFailure> {
    ChannelName::parse(channel, &signed.app.limits)
        .map_err(|e| ApiFailure::bad_request(format!("Invalid channel {channel:?}: {e}")))
}
