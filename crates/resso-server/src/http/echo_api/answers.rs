//! The answers of laravel-echo-server's API, each a function of the registry's state and the
//! request; their JSON shapes are laravel-echo-server 1.6's.

use std::time::Duration;

use resso_protocol::{ChannelName, Limits, SocketId};
use serde_json::{json, Map, Value};

use super::EchoFailure;
use crate::apps::App;
use crate::http::Shared;

/// The largest `POST /events` body read.
pub const MAX_BODY: usize = 1024 * 1024;

/// `POST /events` `{channel|channels, name, data, socket_id}` → `{"message":"ok"}`. `data` reaches
/// Pusher clients as the string it is, or as the JSON text of any other value.
pub fn events(s: &Shared, app: &App, body: &[u8]) -> Result<Value, EchoFailure> {
    if !app.config.echo_api.as_ref().is_some_and(|api| api.events) {
        return Err(EchoFailure::NotFound);
    }
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| EchoFailure::BadRequest(format!("Body is not JSON: {e}")))?;
    let missing =
        || EchoFailure::BadRequest("Event must include channel, event name and data".into());
    let names: Vec<&str> = match (&body["channels"], &body["channel"]) {
        (Value::Array(list), _) if !list.is_empty() => {
            list.iter().filter_map(Value::as_str).collect()
        }
        (_, Value::String(one)) if !one.is_empty() => vec![one.as_str()],
        _ => return Err(missing()),
    };
    let name = body["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or_else(missing)?;
    let data = match &body["data"] {
        Value::Null | Value::Bool(false) => return Err(missing()),
        Value::String(text) if text.is_empty() => return Err(missing()),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if name.len() > app.limits.event_name {
        let limit = app.limits.event_name;
        return Err(EchoFailure::BadRequest(format!(
            "Event name is longer than {limit} bytes"
        )));
    }
    let channels = parse_channels(&names, &app.limits)?;
    let except = body["socket_id"]
        .as_str()
        .and_then(|id| SocketId::parse(id).ok());
    for channel in &channels {
        s.registry.publish_api(app, channel, name, &data, except);
    }
    Ok(json!({"message": "ok"}))
}

fn parse_channels(names: &[&str], limits: &Limits) -> Result<Vec<ChannelName>, EchoFailure> {
    names
        .iter()
        .map(|n| {
            ChannelName::parse(n, limits)
                .map_err(|e| EchoFailure::BadRequest(format!("Invalid channel {n:?}: {e}")))
        })
        .collect()
}

/// `GET /status` → `{subscription_count, uptime, memory_usage}`; the count is the app's open
/// connections (laravel-echo-server's `clientsCount`), `memory_usage.rss` this process's bytes.
pub fn status(s: &Shared, app: &App, uptime: Duration) -> Value {
    json!({
        "subscription_count": s.registry.connection_count(&app.id),
        "uptime": uptime.as_secs_f64(),
        "memory_usage": {"rss": rss_bytes()},
    })
}

/// Resident memory from `/proc/self/status` (Linux); 0 where it cannot be read.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// `GET /channels[?filter_by_prefix=]` → `{channels: {name: {subscription_count, occupied}}}`.
pub fn channels(s: &Shared, app: &App, prefix: Option<&str>) -> Value {
    let channels: Map<String, Value> = s
        .registry
        .channels(&app.id, prefix.unwrap_or(""))
        .into_iter()
        .map(|(name, counts)| {
            let attrs = json!({"subscription_count": counts.subscriptions, "occupied": true});
            (name.to_string(), attrs)
        })
        .collect();
    json!({ "channels": channels })
}

/// `GET /channels/{channel}` → `{subscription_count, occupied}`, and `user_count` on presence.
pub fn channel(s: &Shared, app: &App, channel: &str) -> Value {
    let counts = s.registry.counts(&app.id, channel);
    let mut body = json!({
        "subscription_count": counts.subscriptions,
        "occupied": counts.subscriptions > 0,
    });
    if is_presence(channel) {
        body["user_count"] = counts.users.into();
    }
    body
}

/// `GET /channels/{channel}/users` → `{users: [{id, user_info}]}`; 400 off presence channels.
/// Ids that are decimal numbers are numbers, as Laravel's `user_id`s were in laravel-echo-server.
pub fn users(s: &Shared, app: &App, channel: &str) -> Result<Value, EchoFailure> {
    if !is_presence(channel) {
        let msg = "User list is only possible for Presence Channels";
        return Err(EchoFailure::BadRequest(msg.into()));
    }
    let users: Vec<Value> = s
        .registry
        .members(&app.id, channel)
        .into_iter()
        .map(|(id, info)| {
            let id = id.as_str();
            let id = match id.parse::<u64>() {
                Ok(n) if n.to_string() == id => json!(n),
                _ => json!(id),
            };
            let info: Value = info.map_or(Value::Null, |raw| {
                serde_json::from_str(raw.get()).unwrap_or(Value::Null)
            });
            json!({"id": id, "user_info": info})
        })
        .collect();
    Ok(json!({ "users": users }))
}

fn is_presence(channel: &str) -> bool {
    channel.starts_with("presence-")
}

#[cfg(test)]
mod tests {
    #[test]
    fn rss_is_read() {
        assert!(super::rss_bytes() > 0);
    }
}
