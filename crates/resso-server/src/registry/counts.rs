//! `subscription_count` (§2.3): sent to a non-presence channel's subscribers when the count changes,
//! for apps that turn it on — at once on small channels, at most every five seconds above a hundred
//! subscribers, with the owed update flushed by a once-a-second tick. In a cluster the count is the
//! cluster-wide one, and other nodes' changes update it too.

use std::collections::HashMap;
use std::sync::Arc;

use resso_protocol::{AppId, ChannelKind, ChannelName};
use tokio::time::Instant;

use super::channel::Channel;
use super::{At, Registry, COUNT_INTERVAL, COUNT_THROTTLE_ABOVE};
use crate::apps::{App, Apps};
use crate::broadcast::Broadcast;
use crate::webhooks::HookEvent;

/// Whether a count update also fires the `subscription_count` webhook: only the node where the
/// change happened does, so a cluster fires it once per change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CountHook {
    Fire,
    Quiet,
}

/// Channels whose throttled `subscription_count` is owed.
pub(super) type Owed = HashMap<(AppId, ChannelName), CountHook>;

impl Registry {
    /// Sends `subscription_count` (now, or owed when throttled) if the app wants it; the count is
    /// the cluster-wide one.
    pub(super) fn count_changed(
        &self,
        at: &At<'_>,
        entry: &mut Channel,
        owed: &mut Owed,
        hook: CountHook,
    ) {
        let At {
            app,
            channel,
            remote,
        } = *at;
        if !app.config.subscription_count || channel.kind() == ChannelKind::Presence {
            return;
        }
        let now = Instant::now();
        let recent = entry
            .count_sent_at
            .is_some_and(|at| now.duration_since(at) < COUNT_INTERVAL);
        let count = entry.subscribers.len() + remote.subscribers(&app.id, channel.as_str());
        if count > COUNT_THROTTLE_ABOVE && recent {
            let slot = owed
                .entry((app.id.clone(), channel.clone()))
                .or_insert(hook);
            if hook == CountHook::Fire {
                *slot = CountHook::Fire;
            }
            return;
        }
        entry.count_sent_at = Some(now);
        self.send_count(at, entry, count, hook);
    }

    fn send_count(&self, at: &At<'_>, entry: &Channel, count: usize, hook: CountHook) {
        let (app, channel) = (at.app, at.channel);
        entry.deliver(
            &Arc::new(Broadcast::subscription_count(channel.clone(), count)),
            None,
        );
        if hook == CountHook::Fire {
            self.emit(
                &app.id,
                HookEvent::SubscriptionCount {
                    channel: channel.clone(),
                    count,
                },
            );
        }
    }

    /// Another node's subscriber joined or left `channel`: local subscribers get the new count.
    pub(super) fn remote_count_changed(&self, app: &App, channel: &ChannelName) {
        if !app.config.subscription_count {
            return; // most apps: no second lock per delta
        }
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(entry) = state
            .apps
            .get_mut(&app.id)
            .and_then(|a| a.channels.get_mut(channel))
        else {
            return;
        };
        let at = At::new(app, channel, &state.remote);
        self.count_changed(&at, entry, &mut state.owed_counts, CountHook::Quiet);
    }

    /// Sends the throttled `subscription_count`s that are due; called about once a second.
    pub fn flush_counts(&self, apps: &Apps) {
        let apps = apps.snapshot();
        let mut guard = self.lock();
        let state = &mut *guard;
        let now = Instant::now();
        let owed = std::mem::take(&mut state.owed_counts);
        for ((app_id, channel), hook) in owed {
            let (Some(app), Some(app_state)) =
                (apps.by_id(app_id.as_str()), state.apps.get_mut(&app_id))
            else {
                continue;
            };
            let Some(entry) = app_state.channels.get_mut(&channel) else {
                continue;
            };
            if entry
                .count_sent_at
                .is_some_and(|at| now.duration_since(at) < COUNT_INTERVAL)
            {
                state.owed_counts.insert((app_id, channel), hook);
            } else {
                let count =
                    entry.subscribers.len() + state.remote.subscribers(&app_id, channel.as_str());
                entry.count_sent_at = Some(now);
                let at = At::new(app, &channel, &state.remote);
                self.send_count(&at, entry, count, hook);
            }
        }
    }
}
