//! `POST /apps/{id}/events` and `POST /apps/{id}/batch_events` (§5.3–5.4): validate, fan out one
//! shared [`Broadcast`] per channel, answer `{}` or the requested `info`.

use axum::extract::State;
use axum::Json;
use resso_protocol::api::{self, Info, Publish};
use resso_protocol::{ChannelKind, ChannelName};
use serde_json::{json, Map, Value};

use super::signed::Signed;
use super::ApiFailure;
use crate::apps::App;
use crate::http::Shared;

pub async fn events(State(s): State<Shared>, signed: Signed) -> Result<Json<Value>, ApiFailure> {
    let publish = api::parse_events(&signed.body, &signed.app.limits)?;
    deliver(&s, &signed.app, &publish);
    if !publish.info.any() {
        return Ok(Json(json!({})));
    }
    let channels: Map<String, Value> = publish
        .channels
        .iter()
        .map(|c| (c.to_string(), info(&s, &signed.app, c, publish.info)))
        .collect();
    Ok(Json(json!({ "channels": channels })))
}

pub async fn batch(State(s): State<Shared>, signed: Signed) -> Result<Json<Value>, ApiFailure> {
    let batch = api::parse_batch(&signed.body, &signed.app.limits)?;
    for publish in &batch {
        deliver(&s, &signed.app, publish);
    }
    if !batch.iter().any(|p| p.info.any()) {
        return Ok(Json(json!({})));
    }
    let infos: Vec<Value> = batch
        .iter()
        .map(|p| info(&s, &signed.app, &p.channels[0], p.info))
        .collect();
    Ok(Json(json!({ "batch": infos })))
}

/// Publishes `publish` on each of its channels; returns how many local subscribers got it.
pub(super) fn deliver(s: &Shared, app: &App, publish: &Publish) -> usize {
    let mut delivered = 0;
    for channel in &publish.channels {
        delivered +=
            s.registry
                .publish_api(app, channel, &publish.name, &publish.data, publish.except);
    }
    delivered
}

/// The `info` attributes that apply to `channel`: `user_count` on presence channels only.
fn info(s: &Shared, app: &App, channel: &ChannelName, info: Info) -> Value {
    let counts = s.registry.counts(&app.id, channel.as_str());
    let mut attrs = Map::new();
    if info.user_count && channel.kind() == ChannelKind::Presence {
        attrs.insert("user_count".into(), counts.users.into());
    }
    if info.subscription_count {
        attrs.insert("subscription_count".into(), counts.subscriptions.into());
    }
    Value::Object(attrs)
}
