//! The per-app families without a protocol label: HTTP API calls, client events, subscriptions
//! by channel type, closes by code, refusals by limiter and Laravel Redis messages by result.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError};

use resso_protocol::AppId;

use super::{AppMeters, Family, Ingested, Limiter, Text, CHANNEL_TYPES};

/// The per-app families that have no protocol label.
pub fn render(text: &mut Text, apps: &BTreeMap<AppId, Arc<AppMeters>>, port: &str) {
    let per_app: [Family<AppMeters>; 4] = [
        (
            "http_calls_received_total",
            "counter",
            "HTTP API calls received",
            |m| m.http_calls.get(),
        ),
        (
            "http_received_bytes",
            "counter",
            "Bytes of HTTP API requests",
            |m| m.http_received_bytes.get(),
        ),
        (
            "http_transmitted_bytes",
            "counter",
            "Bytes of HTTP API responses",
            |m| m.http_transmitted_bytes.get(),
        ),
        (
            "client_events_total",
            "counter",
            "Client events relayed",
            |m| m.client_events.get(),
        ),
    ];
    for (name, kind, help, read) in per_app {
        text.family(name, kind, help);
        for (app, meters) in apps {
            text.sample(
                name,
                &[("app_id", app.as_str()), ("port", port)],
                read(meters),
            );
        }
    }
    text.family(
        "subscriptions_total",
        "counter",
        "Subscriptions that held, by channel type",
    );
    for (app, meters) in apps {
        for (kind, counter) in CHANNEL_TYPES.iter().zip(&meters.subscriptions) {
            let labels = [
                ("app_id", app.as_str()),
                ("port", port),
                ("channel_type", kind),
            ];
            text.sample("subscriptions_total", &labels, counter.get());
        }
    }
    text.family(
        "connection_closes_total",
        "counter",
        "Connections closed, by close code",
    );
    for (app, meters) in apps {
        let closes = meters.closes.lock().unwrap_or_else(PoisonError::into_inner);
        for (code, count) in closes.iter() {
            let code = code.to_string();
            let labels = [
                ("app_id", app.as_str()),
                ("port", port),
                ("code", code.as_str()),
            ];
            text.sample(
                "connection_closes_total",
                &labels,
                i64::try_from(*count).unwrap_or(i64::MAX),
            );
        }
    }
    render_refusals(text, apps, port);
    render_sockudo_aliases(text, apps, port);
    text.family(
        "fanout_seconds",
        "histogram",
        "From an event's publication to its last local subscriber's write",
    );
    for (app, meters) in apps {
        let labels = [("app_id", app.as_str()), ("port", port)];
        meters.fanout.render(text, "fanout_seconds", &labels);
    }
}

/// `rate_limited_total{limiter}` and `ingest_messages_total{result}`, every series from the start.
fn render_refusals(text: &mut Text, apps: &BTreeMap<AppId, Arc<AppMeters>>, port: &str) {
    text.family(
        "rate_limited_total",
        "counter",
        "Client events and HTTP API calls refused by a rate limit",
    );
    for (app, meters) in apps {
        for limiter in Limiter::ALL {
            let labels = [
                ("app_id", app.as_str()),
                ("port", port),
                ("limiter", limiter.label()),
            ];
            text.sample(
                "rate_limited_total",
                &labels,
                meters.rate_limited[limiter as usize].get(),
            );
        }
    }
    text.family(
        "ingest_messages_total",
        "counter",
        "Messages from Laravel's redis broadcaster, by what became of them",
    );
    for (app, meters) in apps {
        for result in Ingested::ALL {
            let labels = [
                ("app_id", app.as_str()),
                ("port", port),
                ("result", result.label()),
            ];
            text.sample(
                "ingest_messages_total",
                &labels,
                meters.ingested[result as usize].get(),
            );
        }
    }
}

/// Sockudo's names for totals rendered above, summed over their extra label, so a Sockudo
/// dashboard finds them under the prefix `sockudo_` (its `active_channels` is in the gauges).
fn render_sockudo_aliases(text: &mut Text, apps: &BTreeMap<AppId, Arc<AppMeters>>, port: &str) {
    let aliases: [Family<AppMeters>; 2] = [
        (
            "channel_subscriptions_total",
            "counter",
            "Subscriptions that held (Sockudo's name; by type: subscriptions_total)",
            |m| m.subscriptions.iter().map(super::Sharded::get).sum(),
        ),
        (
            "rate_limit_triggered_total",
            "counter",
            "Refusals by a rate limit (Sockudo's name; by limiter: rate_limited_total)",
            |m| m.rate_limited.iter().map(super::Sharded::get).sum(),
        ),
    ];
    for (name, kind, help, read) in aliases {
        text.family(name, kind, help);
        for (app, meters) in apps {
            let labels = [("app_id", app.as_str()), ("port", port)];
            text.sample(name, &labels, read(meters));
        }
    }
}
