//! Soketi's webhooks (`[{url, event_types, headers?, filter?, lambda?}]`, from
//! `SOKETI_DEFAULT_APP_WEBHOOKS` or an `apps` table's `webhooks` column) as Ressò's, naming what
//! Ressò does not send.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::WebhookConfig;

/// One of Soketi's webhooks.
#[derive(Debug, Deserialize)]
struct Hook {
    url: Option<String>,
    #[serde(default)]
    event_types: Vec<String>,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    filter: Filter,
    lambda_function: Option<Value>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Filter {
    channel_name_starts_with: Option<String>,
    channel_name_ends_with: Option<String>,
}

/// Soketi's webhooks, parsed.
#[derive(Debug, Default)]
pub struct SoketiHooks {
    pub hooks: Vec<WebhookConfig>,
    /// What is not sent or applied, one phrase each (`[1].headers are not sent`).
    pub dropped: Vec<String>,
}

/// Why Soketi's webhooks cannot be read: (the place, the reason).
pub type HookError = (String, String);

/// Parses `json` (an array of Soketi's webhooks; a JSON string holding one is read too).
///
/// # Errors
/// The element at fault (`[2].url`, or empty for the whole value) and why.
pub fn soketi_webhooks(json: Value) -> Result<SoketiHooks, HookError> {
    let json = match json {
        Value::String(text) => serde_json::from_str(&text)
            .map_err(|e| (String::new(), format!("not a JSON array of webhooks: {e}")))?,
        other => other,
    };
    let hooks: Vec<Hook> = serde_json::from_value(json)
        .map_err(|e| (String::new(), format!("not a JSON array of webhooks: {e}")))?;
    let mut out = SoketiHooks::default();
    for (i, hook) in hooks.into_iter().enumerate() {
        let Some(url) = hook.url else {
            if hook.lambda_function.is_none() {
                return Err((format!("[{i}].url"), "is required".into()));
            }
            out.dropped
                .push(format!("[{i}] is an AWS Lambda webhook, not sent"));
            continue;
        };
        if hook.event_types.is_empty() {
            return Err((
                format!("[{i}].event_types"),
                "must name at least one event type".into(),
            ));
        }
        if !hook.headers.is_empty() {
            out.dropped.push(format!("[{i}].headers are not sent"));
        }
        if hook.filter.channel_name_ends_with.is_some() {
            out.dropped.push(format!(
                "[{i}].filter.channel_name_ends_with is not applied"
            ));
        }
        for key in hook.rest.keys().filter(|k| k.as_str() != "lambda") {
            out.dropped.push(format!("[{i}].{key} is not read"));
        }
        out.hooks.push(WebhookConfig {
            url,
            event_types: hook.event_types,
            channel_prefix: hook.filter.channel_name_starts_with,
        });
    }
    Ok(out)
}
