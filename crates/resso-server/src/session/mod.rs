//! What one connection has said and may do: the protocol logic behind a WebSocket, free of I/O.
//! A [`Session`] turns each client frame into registry calls and a typed [`Reply`], which
//! [`crate::pusher`] encodes; the connection task ([`crate::connection`]) only moves bytes. Dropping a session removes its socket
//! from every channel and signin, so no exit path can leave a ghost subscriber or presence member.

mod channels;
mod client_event;
mod reply;
mod signin;

use std::sync::Arc;

use resso_protocol::auth::channel_string;
use resso_protocol::client::Subscribe;
use resso_protocol::presence::Member;
use resso_protocol::{ChannelKind, ChannelName, ClientMessage, ErrorCode, SocketId, UserId};
use tokio::time::Instant;

use crate::apps::App;
use crate::deadline::Deadline;
use crate::outbox::Outbox;
use crate::rate::RateWindow;
use crate::refusals::{self, Reason};
use crate::registry::{Refusal, Registry};
use crate::tap::Entry;
use channels::Channels;
pub use reply::{Refused, Reply, SignedIn, SigninError, SubscribeError};

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
    /// Has had a subscription since connecting (for the unsubscribed timeout).
    subscribed: bool,
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
            subscribed: false,
        }
    }

    /// Handles one text frame; returns what to answer, if anything.
    pub fn handle_text(&mut self, text: &str) -> Option<Reply> {
        match ClientMessage::parse(text) {
            Ok(ClientMessage::Ping) => Some(Reply::Pong),
            Ok(ClientMessage::Pong) => None,
            Ok(ClientMessage::Subscribe(sub)) => Some(self.subscribe(sub)),
            Ok(ClientMessage::Unsubscribe { channel }) => {
                self.unsubscribe(&channel);
                None
            }
            Ok(ClientMessage::Signin(signin)) => Some(self.signin(signin)),
            Ok(ClientMessage::ClientEvent(ev)) => self
                .client_event(ev)
                .err()
                .map(|e| Reply::Refused(e.into())),
            Err(e) => Some(Reply::Refused(e.into())),
        }
    }

    /// The connection's app.
    #[must_use]
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The connection's socket id.
    #[must_use]
    pub const fn socket_id(&self) -> SocketId {
        self.socket_id
    }

    /// The earliest of what the app requires and the connection has not done yet: be authorized
    /// (`authorized_connections_timeout`, 4009) or subscribe once (`unsubscribed_timeout`, 4009).
    #[must_use]
    pub fn deadline(&self, opened: Instant) -> Option<Deadline> {
        let config = &self.app.config;
        let after = |secs: Option<u64>, done: bool, code| {
            let secs = secs.filter(|_| !done)?;
            let at = opened + std::time::Duration::from_secs(secs);
            Some(Deadline { at, code })
        };
        let auth = after(
            config.authorized_connections_timeout,
            self.authorized,
            ErrorCode::Unauthorized,
        );
        let subscribe = after(
            config.unsubscribed_timeout,
            self.subscribed,
            ErrorCode::NeverSubscribed,
        );
        auth.map_or(subscribe, |a| Some(a.min(subscribe)))
    }

    fn subscribe(&mut self, sub: Subscribe) -> Reply {
        let channel = match ChannelName::parse(&sub.channel, &self.app.limits) {
            Ok(c) => c,
            Err(e) => {
                let error = SubscribeError::InvalidName(e);
                self.tell_refused(&sub.channel, &error);
                return Reply::SubscribeRefused {
                    channel: sub.channel,
                    error,
                };
            }
        };
        let refused = |channel: &ChannelName, error| {
            self.tell_refused(channel.as_str(), &error);
            Reply::SubscribeRefused {
                channel: channel.to_string(),
                error,
            }
        };
        if let Err(error) = self.room_for(&channel) {
            return refused(&channel, error);
        }
        let member = match self.authorize(&channel, &sub) {
            Ok(member) => member,
            Err(error) => return refused(&channel, error),
        };
        match self
            .registry
            .subscribe(&self.app, &channel, self.socket_id, &self.outbox, member)
        {
            Ok(subscribed) => {
                self.authorized |= channel.kind().needs_auth();
                self.subscribed = true;
                self.channels.insert(channel.clone());
                Reply::Subscribed(channel, subscribed)
            }
            Err(Refusal::PresenceFull(limit)) => {
                refused(&channel, SubscribeError::PresenceFull(limit))
            }
        }
    }

    /// Tells the app's tap a subscription to `channel` was refused, and why.
    fn tell_refused(&self, channel: &str, error: &SubscribeError) {
        self.app.tap.emit(|| Entry::SubscriptionRefused {
            socket: self.socket_id.to_string(),
            channel: channel.to_owned(),
            reason: error.to_string(),
        });
    }

    /// A channel not yet joined needs a free place under `limits.channels_per_connection`.
    fn room_for(&self, channel: &ChannelName) -> Result<(), SubscribeError> {
        let max = self.app.config.limits.channels_per_connection;
        let joined = self.channels.get(channel.as_str()).is_some();
        if joined || self.channels.len() < max {
            Ok(())
        } else {
            Err(SubscribeError::TooManyChannels(max))
        }
    }

    /// Checks the subscription's signature; for presence, returns who the subscriber is.
    fn authorize(
        &self,
        channel: &ChannelName,
        sub: &Subscribe,
    ) -> Result<Option<Member>, SubscribeError> {
        match channel.kind() {
            ChannelKind::Public => return Ok(None),
            ChannelKind::ServerToUser => return self.authorize_server_to_user(channel),
            ChannelKind::Private | ChannelKind::Encrypted | ChannelKind::Presence => {}
        }
        let presence = channel.kind() == ChannelKind::Presence;
        let data = if presence {
            sub.channel_data.as_deref()
        } else {
            None
        };
        let signed = channel_string(self.socket_id, channel, data);
        self.app
            .credentials()
            .verify(sub.auth.as_deref(), &signed)
            .map_err(|e| {
                let why = format_args!("{channel}: {e}");
                refusals::log(Reason::BadSubscriptionSignature, self.app.id.as_str(), &why);
                SubscribeError::Unauthorized(e)
            })?;
        if !presence {
            return Ok(None);
        }
        let member =
            Member::parse(data, &self.app.limits).map_err(SubscribeError::BadChannelData)?;
        let max_info = self.app.config.limits.user_info_bytes;
        if member
            .user_info
            .as_ref()
            .is_some_and(|i| i.get().len() > max_info)
        {
            return Err(SubscribeError::UserInfoTooLarge(max_info));
        }
        Ok(Some(member))
    }

    /// `#server-to-user-{id}` is only for the connection signed in as `{id}`.
    fn authorize_server_to_user(
        &self,
        channel: &ChannelName,
    ) -> Result<Option<Member>, SubscribeError> {
        match (&self.user, channel.server_to_user_id()) {
            (Some(user), Some(id)) if user.as_str() == id => Ok(None),
            (None, _) => Err(SubscribeError::NotSignedIn),
            _ => Err(SubscribeError::OtherUser),
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
