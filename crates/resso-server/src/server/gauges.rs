//! The gauges read from the registry at scrape time, so that counting them costs the connections
//! nothing: `channels{channel_type}` and `presence_members`, for this node, with a series for
//! every configured app from the start.

use std::sync::Arc;

use crate::apps::Apps;
use crate::metrics::{Metrics, CHANNEL_TYPES};
use crate::registry::Registry;

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
