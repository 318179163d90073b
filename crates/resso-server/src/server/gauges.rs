//! Families read at scrape time, so that counting them costs the connections nothing: the gauges
//! `channels{channel_type}` and `presence_members` from the registry, for this node, with a series
//! for every configured app from the start; the cluster's size and its link's
//! `cluster_messages_total{direction}`, `cluster_dropped_total` and (with Laravel Redis
//! ingestion's) `broker_reconnections_total{link}` — zeros on a single node; and the webhooks'
//! counters, request durations and queue depth.

use std::sync::Arc;

use crate::apps::Apps;
use crate::cluster::Traffic;
use crate::metrics::{Metrics, Text, CHANNEL_TYPES};
use crate::registry::Registry;

/// Adds the cluster link's counters, the cluster's size and the brokers' reconnections.
pub fn register_cluster(metrics: &Metrics, traffic: Arc<Traffic>, apps: &Arc<Apps>) {
    let apps = apps.clone();
    metrics.add_source(move |text, port| {
        let (sent, received, dropped) = traffic.counts();
        text.family(
            "cluster_messages_total",
            "counter",
            "Messages this node sent to and received from the cluster's broker",
        );
        for (direction, n) in [("sent", sent), ("received", received)] {
            let labels = [("port", port), ("direction", direction)];
            text.sample("cluster_messages_total", &labels, n);
        }
        text.family(
            "cluster_dropped_total",
            "counter",
            "Messages to the other nodes dropped because the queue to the broker was full",
        );
        text.sample("cluster_dropped_total", &[("port", port)], dropped);
        render_reconnections(text, port, &traffic, &apps);
    });
}

/// `broker_reconnections_total`: the cluster link's, and each app's Laravel Redis ingestion's.
fn render_reconnections(text: &mut Text, port: &str, traffic: &Traffic, apps: &Apps) {
    text.family(
        "broker_reconnections_total",
        "counter",
        "Times a broker connection was lost or could not be made, and was tried again",
    );
    let cluster = [("port", port), ("link", "cluster")];
    text.sample(
        "broker_reconnections_total",
        &cluster,
        traffic.reconnections(),
    );
    let mut ingesting: Vec<_> = apps
        .snapshot()
        .iter()
        .filter(|a| a.config.ingest.is_some())
        .cloned()
        .collect();
    ingesting.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    for app in ingesting {
        let labels = [
            ("app_id", app.id.as_str()),
            ("port", port),
            ("link", "ingest"),
        ];
        let n = app.meters.ingest_reconnections();
        text.sample("broker_reconnections_total", &labels, n);
    }
}

/// Adds the registry's gauges, the cluster's size and the webhooks' families.
pub fn register(metrics: &Metrics, registry: &Registry, apps: &Arc<Apps>) {
    let (gauged, apps) = (registry.clone(), apps.clone());
    metrics.add_source(move |text, port| {
        let census = gauged.census();
        let mut ids: Vec<_> = apps.snapshot().iter().map(|a| a.id.clone()).collect();
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        text.family(
            "channels",
            "gauge",
            "Occupied channels on this node, by type",
        );
        for id in &ids {
            let counts = census.get(id).copied().unwrap_or_default();
            for (kind, n) in CHANNEL_TYPES.iter().zip(counts.channels) {
                let labels = [
                    ("app_id", id.as_str()),
                    ("port", port),
                    ("channel_type", *kind),
                ];
                text.sample("channels", &labels, n);
            }
        }
        text.family(
            "active_channels",
            "gauge",
            "Occupied channels on this node (Sockudo's name; by type: channels)",
        );
        for id in &ids {
            let counts = census.get(id).copied().unwrap_or_default();
            let labels = [("app_id", id.as_str()), ("port", port)];
            text.sample(
                "active_channels",
                &labels,
                counts.channels.iter().sum::<u64>(),
            );
        }
        text.family(
            "presence_members",
            "gauge",
            "Members of presence channels on this node (a user in two channels counts twice)",
        );
        for id in &ids {
            let members = census.get(id).map_or(0, |c| c.presence_members);
            let labels = [("app_id", id.as_str()), ("port", port)];
            text.sample("presence_members", &labels, members);
        }
        text.family(
            "cluster_nodes",
            "gauge",
            "Nodes this node sees live, itself included",
        );
        text.sample("cluster_nodes", &[("port", port)], gauged.cluster_nodes());
    });
    let registry = registry.clone();
    metrics.add_source(move |text, port| render_webhooks(text, port, &registry));
}

/// The webhooks' counters by type and result, drops, request durations and queue depth.
fn render_webhooks(text: &mut Text, port: &str, registry: &Registry) {
    let webhooks = registry.webhooks();
    text.family(
        "webhooks_sent_total",
        "counter",
        "Webhook events by type and what became of them",
    );
    for (event_type, delivered, failed) in webhooks.sent_by_type() {
        for (result, n) in [("delivered", delivered), ("failed", failed)] {
            let labels = [
                ("port", port),
                ("event_type", event_type),
                ("result", result),
            ];
            text.sample("webhooks_sent_total", &labels, n);
        }
    }
    text.family(
        "webhooks_dropped_total",
        "counter",
        "Webhook events that never reached an endpoint",
    );
    text.sample(
        "webhooks_dropped_total",
        &[("port", port)],
        webhooks.stats().dropped,
    );
    text.family(
        "webhook_delivery_seconds",
        "histogram",
        "How long each webhook request took, answered or not",
    );
    webhooks.render_attempts(text, "webhook_delivery_seconds", &[("port", port)]);
    text.family(
        "webhook_queue_depth",
        "gauge",
        "Webhook events waiting: queued, or in requests being sent or retried",
    );
    text.sample(
        "webhook_queue_depth",
        &[("port", port)],
        webhooks.queue_depth(),
    );
}
