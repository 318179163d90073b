//! One row of Soketi's `apps` table as a Ressò app, with Soketi's meanings: NULL (or a missing
//! column) is the default, a negative count is no limit, sizes are kilobytes, booleans may be
//! numbers. What Soketi's table cannot say comes from Ressò's optional settings table.

use serde::Deserialize;

use super::cells::{Cell, Cells};
use crate::config::{
    soketi_webhooks, AppConfig, AppLimits, EchoApiConfig, IngestConfig, SocketIoConfig,
};

/// Why a row is not an app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("column {0} is missing or empty")]
    Missing(&'static str),
    #[error("column webhooks{0}: {1}")]
    Webhooks(String, String),
    #[error("settings: {0}")]
    Settings(String),
    #[error("{0}")]
    Invalid(String),
}

/// The app of one row, and what of it Ressò does not apply.
#[derive(Debug)]
pub struct Parsed {
    pub config: AppConfig,
    pub dropped: Vec<String>,
}

/// A column by its snake_case name or Soketi's camelCase one (compared lower-case).
fn cell<'c>(cells: &'c Cells, names: &[&str]) -> Option<&'c Cell> {
    names
        .iter()
        .find_map(|n| cells.get(*n))
        .filter(|c| **c != Cell::Null)
}

/// A Soketi count: `None` for NULL (the default), `Some(None)` for a negative (no limit).
fn count(cells: &Cells, names: &[&str]) -> Option<Option<u64>> {
    let n = cell(cells, names)?.int()?;
    Some(u64::try_from(n).ok())
}

fn size(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Soketi's kilobytes as bytes.
fn kilobytes(cells: &Cells, names: &[&str]) -> Option<usize> {
    let kb = cell(cells, names)?.float()?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (kb >= 0.0).then(|| (kb * 1024.0).round() as usize)
}

fn text(cells: &Cells, name: &'static str) -> Result<String, RowError> {
    let value = cell(cells, &[name]).and_then(Cell::text);
    value
        .filter(|v| !v.is_empty())
        .ok_or(RowError::Missing(name))
}

/// The app of `cells`; `limits` where the limit columns are NULL, `settings` (the JSON of
/// Ressò's settings table) over the rest.
///
/// # Errors
/// [`RowError`] naming the column at fault.
pub fn parse(
    cells: &Cells,
    limits: &AppLimits,
    settings: Option<&serde_json::Value>,
) -> Result<Parsed, RowError> {
    let (id, key, secret) = (
        text(cells, "id")?,
        text(cells, "key")?,
        text(cells, "secret")?,
    );
    let mut app = AppConfig::with_credentials(&id, &key, &secret);
    app.limits = limits.clone();
    let flag = |names: &[&str]| cell(cells, names).and_then(Cell::boolean);
    app.enabled = flag(&["enabled"]).unwrap_or(true);
    app.client_events = flag(&["enable_client_messages", "enableclientmessages"]).unwrap_or(false);
    app.max_connections = count(cells, &["max_connections", "maxconnections"]).flatten();
    let client = count(
        cells,
        &["max_client_events_per_sec", "maxclienteventspersecond"],
    );
    app.limits.client_events_per_second = client
        .flatten()
        .map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX));
    app.limits.api_requests_per_second = api_limit(cells);
    if flag(&["enable_user_authentication", "enableuserauthentication"]) == Some(true) {
        app.authorized_connections_timeout = Some(30);
    }
    limit_columns(cells, &mut app.limits);
    let mut dropped = Vec::new();
    if let Some(json) = cell(cells, &["webhooks"]).and_then(Cell::json) {
        let hooks = soketi_webhooks(json).map_err(|(at, why)| RowError::Webhooks(at, why))?;
        app.webhooks = hooks.hooks;
        dropped.extend(hooks.dropped.into_iter().map(|d| format!("webhooks{d}")));
    }
    if let Some(settings) = settings {
        Settings::deserialize(settings)
            .map_err(|e| RowError::Settings(e.to_string()))?
            .apply(&mut app);
    }
    app.check().map_err(|e| RowError::Invalid(e.to_string()))?;
    Ok(Parsed {
        config: app,
        dropped,
    })
}

/// Soketi limits the HTTP API's events and reads apart; Ressò counts all of an app's requests
/// together, so both limited means their sum, and either unlimited means no limit.
fn api_limit(cells: &Cells) -> Option<u32> {
    let backend = count(
        cells,
        &["max_backend_events_per_sec", "maxbackendeventspersecond"],
    );
    let read = count(cells, &["max_read_req_per_sec", "maxreadrequestspersecond"]);
    let sum = backend.flatten()?.saturating_add(read.flatten()?);
    Some(u32::try_from(sum).unwrap_or(u32::MAX))
}

/// The per-app limit columns Soketi added in 1.x; NULL keeps `limits` as given.
fn limit_columns(cells: &Cells, limits: &mut AppLimits) {
    let whole = |names: &[&str]| count(cells, names).flatten().map(size);
    if let Some(n) = whole(&[
        "max_presence_members_per_channel",
        "maxpresencemembersperchannel",
    ]) {
        limits.presence_members = n;
    }
    if let Some(n) = kilobytes(
        cells,
        &[
            "max_presence_member_size_in_kb",
            "maxpresencemembersizeinkb",
        ],
    ) {
        limits.user_info_bytes = n;
    }
    if let Some(n) = whole(&["max_channel_name_length", "maxchannelnamelength"]) {
        limits.channel_name_length = n;
    }
    if let Some(n) = whole(&["max_event_name_length", "maxeventnamelength"]) {
        limits.event_name_length = n;
    }
    if let Some(n) = kilobytes(cells, &["max_event_payload_in_kb", "maxeventpayloadinkb"]) {
        limits.event_data_bytes = n;
    }
}

/// Ressò's settings table: what Soketi's columns cannot say, as JSON with `[[apps]]` names; its
/// `socketio`, `ingest` and `echo_api` are the file's own types, so they parse and are checked as
/// `[apps.socketio]`, `[apps.ingest]` and `[apps.echo_api]` are.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    allowed_origins: Option<Vec<String>>,
    subscription_count: Option<bool>,
    client_events: Option<bool>,
    authorized_connections_timeout: Option<u64>,
    unsubscribed_timeout: Option<u64>,
    cache_ttl: Option<u64>,
    channels_per_connection: Option<usize>,
    api_requests_per_second: Option<u32>,
    pub socketio: Option<SocketIoConfig>,
    ingest: Option<IngestConfig>,
    pub echo_api: Option<EchoApiConfig>,
}

impl Settings {
    fn apply(self, app: &mut AppConfig) {
        if let Some(v) = self.allowed_origins {
            app.allowed_origins = v;
        }
        app.subscription_count = self.subscription_count.unwrap_or(app.subscription_count);
        app.client_events = self.client_events.unwrap_or(app.client_events);
        if self.authorized_connections_timeout.is_some() {
            app.authorized_connections_timeout = self.authorized_connections_timeout;
        }
        if self.unsubscribed_timeout.is_some() {
            app.unsubscribed_timeout = self.unsubscribed_timeout;
        }
        app.cache_ttl = self.cache_ttl.unwrap_or(app.cache_ttl);
        let limits = &mut app.limits;
        limits.channels_per_connection = self
            .channels_per_connection
            .unwrap_or(limits.channels_per_connection);
        if self.api_requests_per_second.is_some() {
            limits.api_requests_per_second = self.api_requests_per_second;
        }
        app.socketio = self.socketio.filter(|s| s.enabled);
        app.ingest = self.ingest;
        app.echo_api = self.echo_api;
    }
}

#[cfg(test)]
mod tests;
