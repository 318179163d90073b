//! A Pusher client's `client-*` event, relayed under the rules both protocols share
//! ([`crate::client_event`]).

use resso_protocol::client::ClientEvent;

use super::Session;
use crate::client_event::{self, ClientEventError, Sender};

impl Session {
    /// Relays a `client-*` event, or says why not.
    pub(super) fn client_event(&mut self, ev: ClientEvent) -> Result<(), ClientEventError> {
        let joined = self.channels.get(ev.channel.as_str()).cloned();
        let from = Sender {
            app: &self.app,
            registry: &self.registry,
            socket: self.socket_id,
            rate: &mut self.rate,
        };
        let ev = client_event::ClientEvent {
            requested: &ev.channel,
            joined: joined.as_ref(),
            event: ev.event,
            data: ev.data,
        };
        client_event::relay(from, ev)
    }
}
