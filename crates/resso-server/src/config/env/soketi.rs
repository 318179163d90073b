//! Soketi's environment (`SOKETI_` + an option of Soketi 1.6's `cli.js`), mapped onto the fields
//! that honour the same thing: where it listens and its TLS certificate, its debug logs, its
//! default app, its adapter (a Ressò cluster), shutdown, webhook batching, metrics, and its
//! server-wide event and presence limits
//! (every Ressò app's limits). Soketi's values are JSON-parsed, durations in milliseconds.

use super::reader::Reader;
use super::{parse, soketi_adapter, soketi_app, tls};
use crate::config::load::Loaded;
use crate::config::origin::Origin;
use crate::config::{AppConfig, ConfigError};

/// Limits that Ressò fixes at Pusher's values: (variable, Ressò's value).
const FIXED: [(&str, u64); 2] = [
    ("SOKETI_EVENT_MAX_BATCH_SIZE", 10),
    ("SOKETI_EVENT_MAX_CHANNELS_AT_ONCE", 100),
];

/// Applies Soketi's server variables; returns whether any `SOKETI_*` variable is set (Soketi's
/// listening defaults then apply).
pub fn apply(l: &mut Loaded, r: &mut Reader) -> Result<bool, ConfigError> {
    if !r.any_set("SOKETI_") {
        return Ok(false);
    }
    listen(l, r)?;
    tls::apply(l, r, "SOKETI_SSL_CERT", "SOKETI_SSL_KEY")?;
    if let Some(debug) = r.parsed("SOKETI_DEBUG", parse::boolean)? {
        l.verbose |= debug;
    }
    soketi_app::apply(l, r)?;
    soketi_adapter::apply(l, r)?;
    if let Some(secs) = r.parsed("SOKETI_SHUTDOWN_GRACE_PERIOD", parse::millis_as_secs)? {
        l.config.server.shutdown_timeout = secs;
        l.record(
            "server.shutdown_timeout",
            Origin::env("SOKETI_SHUTDOWN_GRACE_PERIOD"),
        );
    }
    webhook_batching(l, r)?;
    metrics(l, r)?;
    fixed(r)?;
    Ok(true)
}

/// `SOKETI_METRICS_ENABLED=true`: Prometheus metrics on Soketi's metrics port (9601 on 0.0.0.0
/// unless set) with Soketi's prefix `soketi_`, so its dashboards work unchanged.
fn metrics(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    if r.parsed("SOKETI_METRICS_ENABLED", parse::boolean)? != Some(true) {
        return Ok(());
    }
    let m = &mut l.config.metrics;
    m.enabled = true;
    m.port = Some(
        r.parsed("SOKETI_METRICS_SERVER_PORT", parse::port)?
            .unwrap_or(9601),
    );
    m.host = r
        .var("SOKETI_METRICS_HOST")
        .unwrap_or_else(|| "0.0.0.0".into());
    m.prefix = r
        .var("SOKETI_METRICS_PROMETHEUS_PREFIX")
        .unwrap_or_else(|| "soketi_".into());
    let _ = r.var("SOKETI_METRICS_DRIVER");
    for field in [
        "metrics.enabled",
        "metrics.port",
        "metrics.host",
        "metrics.prefix",
    ] {
        l.record(field, Origin::env("SOKETI_METRICS_ENABLED"));
    }
    Ok(())
}

fn listen(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    if let Some(host) = r.var("SOKETI_HOST") {
        l.config.server.host = host;
        l.record("server.host", Origin::env("SOKETI_HOST"));
    }
    if let Some(port) = r.parsed("SOKETI_PORT", parse::port)? {
        l.config.server.port = port;
        l.record("server.port", Origin::env("SOKETI_PORT"));
    }
    if r.var("SOKETI_PATH_PREFIX")
        .is_some_and(|p| !p.trim_matches('/').is_empty())
    {
        r.unhonoured(
            "SOKETI_PATH_PREFIX",
            "no path prefix: Ressò serves /app/{key} and /apps/… at the root; strip the prefix \
             at the proxy",
        );
    }
    Ok(())
}

/// `SOKETI_WEBHOOKS_BATCHING` on: batches of `SOKETI_WEBHOOKS_BATCHING_DURATION` ms (Soketi's
/// default 50); off: each event sent alone (a zero batch window).
fn webhook_batching(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    let duration = r.parsed("SOKETI_WEBHOOKS_BATCHING_DURATION", parse::number)?;
    let Some(on) = r.parsed("SOKETI_WEBHOOKS_BATCHING", parse::boolean)? else {
        return Ok(());
    };
    let (window, names) = match (on, duration) {
        (true, Some(ms)) => (
            ms,
            "SOKETI_WEBHOOKS_BATCHING, SOKETI_WEBHOOKS_BATCHING_DURATION",
        ),
        (true, None) => (50, "SOKETI_WEBHOOKS_BATCHING"),
        (false, _) => (0, "SOKETI_WEBHOOKS_BATCHING"),
    };
    l.config.server.webhooks.batch_window_ms = window;
    l.record("server.webhooks.batch_window_ms", Origin::env(names));
    Ok(())
}

/// Limits Ressò fixes: honoured when they ask for Ressò's value.
fn fixed(r: &mut Reader) -> Result<(), ConfigError> {
    for (name, value) in FIXED {
        if r.parsed(name, parse::number::<u64>)?
            .is_some_and(|v| v != value)
        {
            r.unhonoured(name, format!("fixed at {value}, Pusher's limit"));
        }
    }
    if r.var("SOKETI_MODE").is_some_and(|m| m.trim() != "full") {
        r.unhonoured("SOKETI_MODE", "Ressò always runs as 'full'");
    }
    Ok(())
}

/// Reads one value of a Soketi variable, as a count or a size.
type Parse = fn(&str, &str) -> Result<u64, ConfigError>;
/// Sets one app field to a value.
type Set = fn(&mut AppConfig, u64);

/// Soketi's server-wide limits: (variable, the app field it sets, how it is read, setting it).
const APP_WIDE: [(&str, &str, Parse, Set); 6] = [
    (
        "SOKETI_EVENT_MAX_NAME_LENGTH",
        "limits.event_name_length",
        parse::number,
        |a, n| {
            a.limits.event_name_length = size(n);
        },
    ),
    (
        "SOKETI_EVENT_MAX_SIZE_IN_KB",
        "limits.event_data_bytes",
        parse::kilobytes,
        |a, n| {
            a.limits.event_data_bytes = size(n);
        },
    ),
    (
        "SOKETI_PRESENCE_MAX_MEMBERS",
        "limits.presence_members",
        parse::number,
        |a, n| {
            a.limits.presence_members = size(n);
        },
    ),
    (
        "SOKETI_PRESENCE_MAX_MEMBER_SIZE",
        "limits.user_info_bytes",
        parse::kilobytes,
        |a, n| {
            a.limits.user_info_bytes = size(n);
        },
    ),
    (
        "SOKETI_CHANNEL_LIMITS_MAX_NAME_LENGTH",
        "limits.channel_name_length",
        parse::number,
        |a, n| {
            a.limits.channel_name_length = size(n);
        },
    ),
    (
        "SOKETI_CHANNEL_CACHE_TTL",
        "cache_ttl",
        parse::number,
        |a, n| a.cache_ttl = n,
    ),
];

/// Soketi's server-wide limits, applied to every app (the development app included) once the
/// apps are known.
pub fn apply_to_apps(l: &mut Loaded, r: &mut Reader) -> Result<(), ConfigError> {
    if !r.any_set("SOKETI_") {
        return Ok(());
    }
    for (name, field, parse, set) in APP_WIDE {
        if let Some(value) = r.parsed(name, parse)? {
            for i in 0..l.config.apps.len() {
                set(&mut l.config.apps[i], value);
                l.record(&format!("apps[{i}].{field}"), Origin::env(name));
            }
            if let Some(store) = &mut l.config.app_store {
                let mut template = AppConfig::with_credentials("", "", "");
                template.limits = store.limits.clone();
                set(&mut template, value);
                store.limits = template.limits;
            }
        }
    }
    Ok(())
}

fn size(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
