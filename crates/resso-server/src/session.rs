//! What one connection has said and may do: the protocol logic behind a WebSocket, free of I/O.
//! A [`Session`] turns each client frame into registry calls and at most one reply frame; the
//! connection task ([`crate::connection`]) only moves bytes. Dropping a session removes its socket
//! from every channel, so no exit path can leave a ghost subscriber or presence member.

use std::collections::HashSet;
use std::sync::Arc;

use resso_protocol::auth::channel_string;
use resso_protocol::client::{ClientEvent, Subscribe};
use resso_protocol::presence::Member;
use resso_protocol::{server, ChannelKind, ChannelName, ClientMessage, ErrorCode, SocketId};
use tokio::time::Instant;

use crate::apps::App;
use crate::broadcast::{Broadcast, Payload};
use crate::outbox::Outbox;
use crate::registry::Registry;

/// One connection's protocol state.
pub struct Session {
    app: Arc<App>,
    socket_id: SocketId,
    registry: Registry,
    outbox: Outbox,
    channels: HashSet<ChannelName>,
    rate: RateWindow,
}

impl Session {
    /// A session for a connection already counted by [`Registry::connect`].
    #[must_use]
    pub fn new(app: Arc<App>, socket_id: SocketId, registry: Registry, outbox: Outbox) -> Self {
        let rate = RateWindow::new(app.config.limits.client_events_per_second);
        Self {
            app,
            socket_id,
            registry,
            outbox,
            channels: HashSet::new(),
            rate,
        }
    }

    /// Handles one text frame; returns the frame to answer with, if any.
    pub fn handle_text(&mut self, text: &str) -> Option<String> {
        match ClientMessage::parse(text) {
            Ok(ClientMessage::Ping) => Some(server::PONG.to_owned()),
            Ok(ClientMessage::Pong) => None,
            Ok(ClientMessage::Subscribe(sub)) => Some(self.subscribe(sub)),
            Ok(ClientMessage::Unsubscribe { channel }) => {
                self.unsubscribe(&channel);
                None
            }
            Ok(ClientMessage::Signin(_)) => Some(server::error(
                None,
                "User authentication (pusher:signin) is not supported yet",
            )),
            Ok(ClientMessage::ClientEvent(ev)) => self.client_event(ev).err(),
            Err(e) => Some(server::error(None, &e.to_string())),
        }
    }

    fn subscribe(&mut self, sub: Subscribe) -> String {
        let channel = match ChannelName::parse(&sub.channel, &self.app.limits) {
            Ok(c) => c,
            Err(e) => {
                return server::subscription_error(
                    &sub.channel,
                    "InvalidChannel",
                    &format!("Invalid channel name: {e}"),
                    400,
                )
            }
        };
        let member = match self.authorize(&channel, &sub) {
            Ok(member) => member,
            Err(refusal) => return refusal,
        };
        let frame =
            self.registry
                .subscribe(&self.app.id, &channel, self.socket_id, &self.outbox, member);
        self.channels.insert(channel);
        frame
    }

    /// Checks the subscription's signature; for presence, returns who the subscriber is.
    fn authorize(&self, channel: &ChannelName, sub: &Subscribe) -> Result<Option<Member>, String> {
        let refuse = |status: u16, msg: &str| {
            server::subscription_error(channel.as_str(), "AuthError", msg, status)
        };
        match channel.kind() {
            ChannelKind::Public => return Ok(None),
            ChannelKind::ServerToUser => {
                return Err(refuse(403, "Server-to-user channels need a signed-in user"))
            }
            ChannelKind::Private | ChannelKind::Encrypted | ChannelKind::Presence => {}
        }
        let presence = channel.kind() == ChannelKind::Presence;
        let data = if presence {
            sub.channel_data.as_deref()
        } else {
            None
        };
        let signed = channel_string(self.socket_id, channel, data);
        if let Err(e) = self.app.credentials().verify(sub.auth.as_deref(), &signed) {
            return Err(refuse(401, &format!("The connection is unauthorized: {e}")));
        }
        if !presence {
            return Ok(None);
        }
        Member::parse(data, &self.app.limits)
            .map(Some)
            .map_err(|e| refuse(400, &format!("Invalid channel_data: {e}")))
    }

    fn unsubscribe(&mut self, channel: &str) {
        if let Some(channel) = self.channels.take(channel) {
            self.registry
                .unsubscribe(&self.app.id, &channel, self.socket_id);
        }
    }

    /// Relays a `client-*` event to the channel's other subscribers; `Err` is the error frame.
    fn client_event(&mut self, ev: ClientEvent) -> Result<(), String> {
        let refuse = |msg: &str| server::error(None, msg);
        if !self.app.config.client_events {
            return Err(refuse("To send client events, you must enable this feature in the Settings page of your dashboard."));
        }
        let Some(channel) = self.channels.get(ev.channel.as_str()).cloned() else {
            return Err(refuse(&format!(
                "Cannot broadcast client event (connection not subscribed to channel {})",
                ev.channel
            )));
        };
        if !channel.kind().allows_client_events() {
            return Err(refuse(
                "Client events are only allowed on private and presence channels",
            ));
        }
        let limits = &self.app.limits;
        if ev.event.len() > limits.event_name {
            return Err(refuse(&format!(
                "Event name is longer than {} characters",
                limits.event_name
            )));
        }
        if ev
            .data
            .as_ref()
            .is_some_and(|d| d.get().len() > limits.event_data)
        {
            return Err(refuse(&format!(
                "Client event data is larger than {} bytes",
                limits.event_data
            )));
        }
        if !self.rate.allow(Instant::now()) {
            let code = ErrorCode::ClientEventRateLimit;
            return Err(server::error(Some(code.code()), code.message()));
        }
        let user = self
            .registry
            .user_of(&self.app.id, &channel, self.socket_id);
        let payload = ev.data.map_or(Payload::Empty, Payload::Json);
        let msg = Arc::new(Broadcast::event(channel.clone(), ev.event, payload, user));
        self.registry
            .publish(&self.app.id, &channel, &msg, Some(self.socket_id));
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.registry
            .disconnect(&self.app.id, self.socket_id, &self.channels);
    }
}

/// A fixed one-second window counting client events.
struct RateWindow {
    per_second: u32,
    started: Option<Instant>,
    count: u32,
}

impl RateWindow {
    const fn new(per_second: u32) -> Self {
        Self {
            per_second,
            started: None,
            count: 0,
        }
    }

    fn allow(&mut self, now: Instant) -> bool {
        let fresh = self
            .started
            .is_none_or(|s| now.duration_since(s).as_secs() >= 1);
        if fresh {
            self.started = Some(now);
            self.count = 0;
        }
        self.count += 1;
        self.count <= self.per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rate_window_allows_n_per_second() {
        let mut w = RateWindow::new(10);
        let t0 = Instant::now();
        assert!((0..10).all(|_| w.allow(t0)));
        assert!(!w.allow(t0 + Duration::from_millis(500)));
        assert!(w.allow(t0 + Duration::from_secs(1)));
    }
}
