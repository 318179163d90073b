//! Soketi's default app (`SOKETI_DEFAULT_APP_*`) as a Ressò app, with Soketi's defaults where
//! they differ from Ressò's (client events off, no client event limit) and its webhooks from the
//! JSON array Soketi takes. Unlike Soketi, the id, key and secret must all be set: its fallbacks
//! (`app-id`/`app-key`/`app-secret`) are public development credentials.

use serde_json::Value;

use super::parse;
use super::reader::Reader;
use crate::config::load::Loaded;
use crate::config::origin::Origin;
use crate::config::soketi_hooks::soketi_webhooks;
use crate::config::{invalid, AppConfig, ConfigError, WebhookConfig};

const APP: [&str; 3] = [
    "SOKETI_DEFAULT_APP_ID",
    "SOKETI_DEFAULT_APP_KEY",
    "SOKETI_DEFAULT_APP_SECRET",
];
const CLIENT_MESSAGES: &str = "SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES";
const ENABLED: &str = "SOKETI_DEFAULT_APP_ENABLED";
const MAX_CONNS: &str = "SOKETI_DEFAULT_APP_MAX_CONNS";
const CLIENT_EVENTS: &str = "SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC";
const USER_AUTH: &str = "SOKETI_DEFAULT_APP_USER_AUTHENTICATION";
const WEBHOOKS: &str = "SOKETI_DEFAULT_APP_WEBHOOKS";
/// Soketi's HTTP API limits: Ressò counts all of an app's API requests together.
const API_LIMITS: [&str; 2] = [
    "SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC",
    "SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC",
];
const OPTIONS: [&str; 8] = [
    CLIENT_MESSAGES,
    ENABLED,
    MAX_CONNS,
    CLIENT_EVENTS,
    USER_AUTH,
    WEBHOOKS,
    API_LIMITS[0],
    API_LIMITS[1],
];

/// Adds (or replaces, by id) the app of `SOKETI_DEFAULT_APP_*`.
pub fn apply(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    let timeout = r.parsed("SOKETI_USER_AUTHENTICATION_TIMEOUT", parse::millis_as_secs)?;
    let [id, key, secret] = APP.map(|name| r.var(name));
    let (id, key, secret) = match (id, key, secret) {
        (Some(id), Some(key), Some(secret)) => (id, key, secret),
        (None, None, None) => {
            for name in OPTIONS {
                if r.var(name).is_some() {
                    r.unhonoured(
                        name,
                        "applies to the app of SOKETI_DEFAULT_APP_ID/KEY/SECRET, which are not set",
                    );
                }
            }
            return Ok(());
        }
        _ => {
            return Err(invalid(
                "SOKETI_DEFAULT_APP_ID/SOKETI_DEFAULT_APP_KEY/SOKETI_DEFAULT_APP_SECRET",
                "set all three or none (Soketi's fallbacks are public development credentials)",
            ))
        }
    };
    let mut app = AppConfig::with_credentials(&id, &key, &secret);
    app.client_events = false;
    let mut fields = vec![("id", APP[0]), ("key", APP[1]), ("secret", APP[2])];
    options(&mut app, r, &mut fields, timeout)?;
    let i = l.put_app(app, APP[0]);
    for (field, name) in fields {
        l.record(&format!("apps[{i}].{field}"), Origin::env(name));
    }
    Ok(())
}

fn options(
    app: &mut AppConfig,
    r: &mut Reader,
    fields: &mut Vec<(&'static str, &'static str)>,
    auth_timeout: Option<u64>,
) -> Result<(), ConfigError> {
    if let Some(on) = r.parsed(CLIENT_MESSAGES, parse::boolean)? {
        app.client_events = on;
        fields.push(("client_events", CLIENT_MESSAGES));
    }
    if let Some(on) = r.parsed(ENABLED, parse::boolean)? {
        app.enabled = on;
        fields.push(("enabled", ENABLED));
    }
    if let Some(max) = r.parsed(MAX_CONNS, parse::limit)? {
        app.max_connections = max;
        fields.push(("max_connections", MAX_CONNS));
    }
    if let Some(max) = r.parsed(CLIENT_EVENTS, parse::limit)? {
        app.limits.client_events_per_second =
            max.map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX));
        fields.push(("limits.client_events_per_second", CLIENT_EVENTS));
    }
    if r.parsed(USER_AUTH, parse::boolean)? == Some(true) {
        app.authorized_connections_timeout = Some(auth_timeout.unwrap_or(30).max(1));
        fields.push(("authorized_connections_timeout", USER_AUTH));
    }
    for name in API_LIMITS {
        if r.parsed(name, parse::limit)?.flatten().is_some() {
            r.unhonoured(
                name,
                "Ressò limits all of an app's HTTP API requests together: \
                 limits.api_requests_per_second in an [[apps]] entry",
            );
        }
    }
    if let Some(json) = r.var(WEBHOOKS) {
        app.webhooks = webhooks(&json, r)?;
        fields.push(("webhooks", WEBHOOKS));
    }
    Ok(())
}

/// Soketi's `[{url, event_types, headers?, filter?}]` as Ressò's webhooks.
fn webhooks(json: &str, r: &mut Reader) -> Result<Vec<WebhookConfig>, ConfigError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| invalid(WEBHOOKS, format!("not a JSON array of webhooks: {e}")))?;
    let parsed =
        soketi_webhooks(value).map_err(|(at, why)| invalid(format!("{WEBHOOKS}{at}"), why))?;
    if !parsed.dropped.is_empty() {
        r.unhonoured(WEBHOOKS, parsed.dropped.join(", "));
    }
    Ok(parsed.hooks)
}
