//! What one connection has said and may do: the protocol logic behind a WebSocket, free of I/O.
//! A [`Session`] turns each client frame into registry calls and the frames to answer with; the
//! connection task ([`crate::connection`]) only moves bytes. Dropping a session removes its socket
//! from every channel and signin, so no exit path can leave a ghost subscriber or presence member.

mod channels;
mod client_event;
mod signin;

use std::sync::Arc;

use resso_protocol::auth::channel_string;
use resso_protocol::client::Subscribe;
use resso_protocol::presence::Member;
use resso_protocol::{server, ChannelKind, ChannelName, ClientMessage, SocketId, UserId};
use tokio::time::Instant;

use crate::apps::App;
use crate::outbox::Outbox;
use crate::rate::RateWindow;
use crate::registry::{Refusal, Registry};
use channels::Channels;

/// One connection's protocol state.
pub struct Session {
    app: Arc<App>,
    socket_id: SocketId,
    registry: Registry,
    outbox: Outbox,
    channels: Channels,
    rate: RateWindow,
    user: Option<UserId>,
    /// Signed in or joined a private/presence channel (for the authorized-connections timeout).
    authorized: bool,
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
            channels: Channels::default(),
            rate,
            user: None,
            authorized: false,
        }
    }

    /// Handles one text frame; returns the frames to answer with, in order.
    pub fn handle_text(&mut self, text: &str) -> Vec<String> {
        match ClientMessage::parse(text) {
            Ok(ClientMessage::Ping) => vec![server::PONG.to_owned()],
            Ok(ClientMessage::Pong) => Vec::new(),
            Ok(ClientMessage::Subscribe(sub)) => self.subscribe(sub),
            Ok(ClientMessage::Unsubscribe { channel }) => {
                self.unsubscribe(&channel);
                Vec::new()
            }
            Ok(ClientMessage::Signin(signin)) => self.signin(&signin),
            Ok(ClientMessage::ClientEvent(ev)) => self.client_event(ev).err().into_iter().collect(),
            Err(e) => vec![server::error(None, &e.to_string())],
        }
    }

    /// When the connection must be authorized by, if the app requires it and it is not yet.
    #[must_use]
    pub fn authorization_deadline(&self, opened: Instant) -> Option<Instant> {
        let secs = self.app.config.authorized_connections_timeout?;
        (!self.authorized).then(|| opened + std::time::Duration::from_secs(secs))
    }

    fn subscribe(&mut self, sub: Subscribe) -> Vec<String> {
        let channel = match ChannelName::parse(&sub.channel, &self.app.limits) {
            Ok(c) => c,
            Err(e) => {
                let msg = format!("Invalid channel name: {e}");
                return vec![server::subscription_error(
                    &sub.channel,
                    "InvalidChannel",
                    &msg,
                    400,
                )];
            }
        };
        let member = match self.authorize(&channel, &sub) {
            Ok(member) => member,
            Err(refusal) => return vec![refusal],
        };
        match self
            .registry
            .subscribe(&self.app, &channel, self.socket_id, &self.outbox, member)
        {
            Ok(frames) => {
                self.authorized |= channel.kind().needs_auth();
                self.channels.insert(channel);
                frames
            }
            Err(Refusal::PresenceFull(limit)) => {
                let msg = format!("Presence channels can have at most {limit} members");
                vec![server::subscription_error(
                    channel.as_str(),
                    "LimitReached",
                    &msg,
                    4100,
                )]
            }
        }
    }

    /// Checks the subscription's signature; for presence, returns who the subscriber is.
    fn authorize(&self, channel: &ChannelName, sub: &Subscribe) -> Result<Option<Member>, String> {
        let refuse = |status: u16, msg: &str| {
            server::subscription_error(channel.as_str(), "AuthError", msg, status)
        };
        match channel.kind() {
            ChannelKind::Public => return Ok(None),
            ChannelKind::ServerToUser => {
                return self
                    .authorize_server_to_user(channel)
                    .map_err(|m| refuse(403, m))
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
        let member = Member::parse(data, &self.app.limits)
            .map_err(|e| refuse(400, &format!("Invalid channel_data: {e}")))?;
        let max_info = self.app.config.limits.user_info_bytes;
        if member
            .user_info
            .as_ref()
            .is_some_and(|i| i.get().len() > max_info)
        {
            let msg = format!("user_info is larger than {max_info} bytes");
            return Err(server::subscription_error(
                channel.as_str(),
                "LimitReached",
                &msg,
                4301,
            ));
        }
        Ok(Some(member))
    }

    /// `#server-to-user-{id}` is only for the connection signed in as `{id}`.
    fn authorize_server_to_user(
        &self,
        channel: &ChannelName,
    ) -> Result<Option<Member>, &'static str> {
        match (&self.user, channel.server_to_user_id()) {
            (Some(user), Some(id)) if user.as_str() == id => Ok(None),
            (None, _) => Err("Server-to-user channels need a signed-in connection"),
            _ => Err("Server-to-user channels are only for the signed-in user they name"),
        }
    }

    fn unsubscribe(&mut self, channel: &str) {
        if let Some(channel) = self.channels.take(channel) {
            self.registry
                .unsubscribe(&self.app, &channel, self.socket_id);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.registry
            .disconnect(&self.app, self.socket_id, self.channels.iter());
    }
}
