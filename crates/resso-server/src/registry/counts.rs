//! `subscription_count` (§2.3): sent to a non-presence channel's subscribers when the count changes,
//! for apps that turn it on — at once on small channels, at most every five seconds above a hundred
//! subscribers, with the owed update flushed by a once-a-second tick.

use std::collections::HashSet;
use std::sync::Arc;

use resso_protocol::{AppId, ChannelKind, ChannelName};
use tokio::time::Instant;

use super::channel::Channel;
use super::{Registry, COUNT_INTERVAL, COUNT_THROTTLE_ABOVE};
use crate::apps::{App, Apps};
use crate::broadcast::Broadcast;
use crate::webhooks::HookEvent;

impl Registry {
    /// Sends `subscription_count` (now, or owed when throttled) if the app wants it.
    pub(super) fn count_changed(
        &self,
        app: &App,
        entry: &mut Channel,
        owed: &mut HashSet<(AppId, ChannelName)>,
        channel: &ChannelName,
    ) {
        if !app.config.subscription_count || channel.kind() == ChannelKind::Presence {
            return;
        }
        let now = Instant::now();
        let recent = entry
            .count_sent_at
            .is_some_and(|at| now.duration_since(at) < COUNT_INTERVAL);
        if entry.subscribers.len() > COUNT_THROTTLE_ABOVE && recent {
            owed.insert((app.id.clone(), channel.clone()));
            return;
        }
        self.send_count(app, entry, channel, now);
    }

    fn send_count(&self, app: &App, entry: &mut Channel, channel: &ChannelName, now: Instant) {
        let count = entry.subscribers.len();
        entry.count_sent_at = Some(now);
        entry.send(
            &Arc::new(Broadcast::subscription_count(channel.clone(), count)),
            None,
        );
        self.emit(
            &app.id,
            HookEvent::SubscriptionCount {
                channel: channel.clone(),
                count,
            },
        );
    }

    /// Sends the throttled `subscription_count`s that are due; called about once a second.
    pub fn flush_counts(&self, apps: &Apps) {
        let mut guard = self.lock();
        let state = &mut *guard;
        let now = Instant::now();
        let owed = std::mem::take(&mut state.owed_counts);
        for (app_id, channel) in owed {
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
                state.owed_counts.insert((app_id, channel));
            } else {
                self.send_count(app, entry, &channel, now);
            }
        }
    }
}
