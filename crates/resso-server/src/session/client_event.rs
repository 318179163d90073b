//! Client events (`client-*`, §2.5): relayed to a private or presence channel's other subscribers,
//! with the sender's trusted `user_id` on presence channels, within the app's switch, size and
//! rate limits, and reported to the `client_event` webhook.

use std::sync::Arc;

use resso_protocol::client::ClientEvent;
use resso_protocol::ChannelKind;
use tokio::time::Instant;

use super::{ClientEventError, Session};
use crate::broadcast::{Broadcast, Payload};
use crate::webhooks::HookEvent;

impl Session {
    /// Relays a `client-*` event, or says why not.
    pub(super) fn client_event(&mut self, ev: ClientEvent) -> Result<(), ClientEventError> {
        if !self.app.config.client_events {
            return Err(ClientEventError::Disabled);
        }
        let Some(channel) = self.channels.get(ev.channel.as_str()).cloned() else {
            return Err(ClientEventError::NotSubscribed(ev.channel));
        };
        if !channel.kind().allows_client_events() {
            return Err(ClientEventError::WrongChannel);
        }
        let limits = &self.app.limits;
        if ev.event.len() > limits.event_name {
            return Err(ClientEventError::NameTooLong(limits.event_name));
        }
        if ev
            .data
            .as_ref()
            .is_some_and(|d| d.get().len() > limits.event_data)
        {
            return Err(ClientEventError::DataTooLarge(limits.event_data));
        }
        if !self.rate.allow(Instant::now()) {
            return Err(ClientEventError::RateLimited);
        }
        let user = if channel.kind() == ChannelKind::Presence {
            self.registry
                .user_of(&self.app.id, &channel, self.socket_id)
        } else {
            None
        };
        let hook = HookEvent::ClientEvent {
            channel: channel.clone(),
            event: ev.event.clone(),
            data: ev.data.clone(),
            socket_id: self.socket_id,
            user_id: user.clone(),
        };
        let payload = ev.data.map_or(Payload::Empty, Payload::Json);
        let msg = Arc::new(Broadcast::event(channel.clone(), ev.event, payload, user));
        self.registry
            .publish_client_event(&self.app, &channel, &msg, self.socket_id);
        self.registry.webhooks().emit(&self.app.id, hook);
        Ok(())
    }
}
