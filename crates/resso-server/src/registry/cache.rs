//! Cache channels (§7): the last event published through the HTTP API to each `cache-` channel,
//! kept for the app's TTL and replayed to each new subscriber right after `subscription_succeeded`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use resso_protocol::ChannelName;
use tokio::time::Instant;

use super::State;
use crate::apps::App;
use crate::broadcast::Broadcast;

/// The cached events of one app.
#[derive(Default)]
pub(super) struct Cache {
    entries: HashMap<ChannelName, Entry>,
    /// Channels whose miss was reported to webhooks since they last had an event.
    misses_reported: HashSet<ChannelName>,
}

struct Entry {
    msg: Arc<Broadcast>,
    data: Arc<str>,
    expires: Instant,
}

/// What `GET /channels/{c}?info=cache` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    pub data: Arc<str>,
    pub ttl_secs: u64,
}

impl Cache {
    pub fn store(
        &mut self,
        channel: &ChannelName,
        msg: Arc<Broadcast>,
        data: Arc<str>,
        ttl: Duration,
    ) {
        let entry = Entry {
            msg,
            data,
            expires: Instant::now() + ttl,
        };
        self.entries.insert(channel.clone(), entry);
        self.misses_reported.remove(channel);
    }

    /// The live cached event, dropping an expired one.
    pub fn get(&mut self, channel: &ChannelName) -> Option<&Arc<Broadcast>> {
        self.live(channel).map(|e| &e.msg)
    }

    pub fn info(&mut self, channel: &ChannelName) -> Option<Cached> {
        let now = Instant::now();
        self.live(channel).map(|e| Cached {
            data: e.data.clone(),
            ttl_secs: e.expires.duration_since(now).as_secs(),
        })
    }

    /// Records a miss; returns whether it is the first since the channel last had an event.
    pub fn first_miss(&mut self, channel: &ChannelName) -> bool {
        self.misses_reported.insert(channel.clone())
    }

    fn live(&mut self, channel: &ChannelName) -> Option<&Entry> {
        if self
            .entries
            .get(channel)
            .is_some_and(|e| e.expires <= Instant::now())
        {
            self.entries.remove(channel);
        }
        self.entries.get(channel)
    }
}

/// Keeps `msg`, whose data is `data` (a string), as `channel`'s cached event on cache channels.
pub(super) fn keep(
    state: &mut State,
    app: &App,
    channel: &ChannelName,
    msg: &Arc<Broadcast>,
    data: Option<Arc<str>>,
) {
    if let (true, Some(data)) = (channel.is_cache(), data) {
        let app_state = state.apps.entry(app.id.clone()).or_default();
        let ttl = Duration::from_secs(app.config.cache_ttl);
        app_state.cache.store(channel, msg.clone(), data, ttl);
    }
}
