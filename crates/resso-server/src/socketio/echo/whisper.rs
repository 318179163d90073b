//! Whispers (`client event`): only `client-*` events, only on private and presence channels this
//! socket joined, within the app's switch, size and rate limits — the Pusher side's rules — relayed
//! through the registry to every other subscriber of either protocol, never back to the sender.
//! Echo has no error event for whispers, so a refused one is dropped (and logged at debug).

use std::sync::Arc;

use resso_protocol::ChannelKind;
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::EchoSocket;
use crate::broadcast::{Broadcast, Payload};
use crate::session::ClientEventError;
use crate::webhooks::HookEvent;

/// Why a whisper was dropped.
#[derive(Debug, thiserror::Error)]
pub enum WhisperError {
    #[error("client events must be named client-*")]
    NotClientEvent,
    #[error(transparent)]
    Refused(#[from] ClientEventError),
}

impl EchoSocket {
    /// Relays a whisper, or says why not.
    pub(super) fn client_event(
        &mut self,
        channel: &str,
        event: String,
        data: Option<Box<RawValue>>,
    ) -> Result<(), WhisperError> {
        if !event.starts_with("client-") {
            return Err(WhisperError::NotClientEvent);
        }
        if !self.app.config.client_events {
            return Err(ClientEventError::Disabled.into());
        }
        let Some(channel) = self.joined.iter().find(|c| c.as_str() == channel).cloned() else {
            return Err(ClientEventError::NotSubscribed(channel.to_owned()).into());
        };
        if !channel.kind().allows_client_events() {
            return Err(ClientEventError::WrongChannel.into());
        }
        let limits = &self.app.limits;
        if event.len() > limits.event_name {
            return Err(ClientEventError::NameTooLong(limits.event_name).into());
        }
        if data
            .as_ref()
            .is_some_and(|d| d.get().len() > limits.event_data)
        {
            return Err(ClientEventError::DataTooLarge(limits.event_data).into());
        }
        if !self.rate.allow(Instant::now()) {
            return Err(ClientEventError::RateLimited.into());
        }
        let user = (channel.kind() == ChannelKind::Presence)
            .then(|| {
                self.registry
                    .user_of(&self.app.id, &channel, self.socket_id)
            })
            .flatten();
        let hook = HookEvent::ClientEvent {
            channel: channel.clone(),
            event: event.clone(),
            data: data.clone(),
            socket_id: self.socket_id,
            user_id: user.clone(),
        };
        let payload = data.map_or(Payload::Empty, Payload::Json);
        let msg = Arc::new(Broadcast::event(channel.clone(), event, payload, user));
        self.registry
            .publish_client_event(&self.app, &channel, &msg, self.socket_id);
        self.registry.webhooks().emit(&self.app.id, hook);
        Ok(())
    }
}
