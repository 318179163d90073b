//! Whispers (`client event`): only `client-*` events, under the rules both protocols share
//! ([`crate::client_event`]): relayed to every other subscriber of either protocol, never back to
//! the sender.
//! Echo has no error event for whispers, so a refused one is dropped (and logged at debug).

use serde_json::value::RawValue;

use super::EchoSocket;
use crate::client_event::{self, ClientEventError, Sender};

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
        let joined = self
            .joined
            .iter()
            .find(|j| j.channel.as_str() == channel)
            .map(|j| j.channel.clone());
        let from = Sender {
            app: &self.app,
            registry: &self.registry,
            socket: self.socket_id,
            rate: &mut self.rate,
        };
        let ev = client_event::ClientEvent {
            requested: channel,
            joined: joined.as_ref(),
            event,
            data,
        };
        Ok(client_event::relay(from, ev)?)
    }
}
