//! Families read at scrape time, so that counting them costs the connections nothing: the gauges
//! `channels{channel_type}` and `presence_members` from the registry, for this node, with a series
//! for every configured app from the start; and the cluster link's `cluster_messages_total
//! {direction}` and `cluster_dropped_total` (zero on a single node).

use std::sync::Arc;

use crate::apps::Apps;
use crate::cluster::Traffic;
use crate::metrics::{Metrics, CHANNEL_TYPES};
use crate::registry::Registry;

/// Adds the cluster link's counters to `metrics`.
pub fn register_cluster(metrics: &Metrics, traffic: Arc<Traffic>) {
    metrics.add_source(move |text| {
        let (sent, received, dropped) = traffic.counts();
        text.family(
            "cluster_messages_total",
            "counter",
            "Messages this node sent to and received from the cluster's broker",
        );
        text.sample("cluster_messages_total", &[("direction", "sent")], sent);
        text.sample(
            "cluster_messages_total",
            &[("direction", "received")],
            received,
        );
        text.family(
            "cluster_dropped_total",
            "counter",
            "Messages to the other nodes dropped because the queue to the broker was full",
        );
        text.sample("cluster_dropped_total", &[], dropped);
    });
}

/// Adds the registry's gauges to `metrics`.
pub fn register(metrics: &Metrics, registry: &Registry, apps: &Arc<Apps>) {
    let (registry, apps) = (registry.clone(), apps.clone());
    metrics.add_source(move |text| {
        let census = registry.census();
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
                let labels = [("app_id", id.as_str()), ("channel_type", *kind)];
                text.sample("channels", &labels, n);
            }
        }
        text.family(
            "presence_members",
            "gauge",
            "Members of presence channels on this node (a user in two channels counts twice)",
        );
        for id in &ids {
            let members = census.get(id).map_or(0, |c| c.presence_members);
            text.sample("presence_members", &[("app_id", id.as_str())], members);
        }
    });
}
