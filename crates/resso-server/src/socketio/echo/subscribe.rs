//! Subscribing: public channels join at once; private, encrypted and presence channels join only
//! once the app's auth endpoint allows them, in the background, while the socket's other traffic
//! goes on. Every refusal answers `subscription_error (channel, status)` and says why in the log.

use crate::refusals::{self, Reason};
use crate::socketio::codec::SocketIoPlain;
use bytes::Bytes;
use resso_protocol::presence::Member;
use resso_protocol::{ChannelKind, ChannelName};

use super::auth::{Allowed, AuthError, AuthRequest};
use super::{reply, EchoSocket, MAX_PENDING_AUTH};
use crate::registry::{Joined, Refusal, Replay};
use crate::tap::Entry;

/// A finished auth call: the channel it was for and the app's answer.
pub struct Done {
    channel: ChannelName,
    answer: Result<Allowed, AuthError>,
}

impl EchoSocket {
    pub(super) fn subscribe(
        &mut self,
        name: &str,
        headers: Vec<(String, String)>,
        out: &mut Vec<Bytes>,
    ) {
        if self.is_joined(name) || self.pending.iter().any(|c| c.as_str() == name) {
            return; // Echo re-sends subscriptions; joining twice changes nothing
        }
        let channel = match ChannelName::parse(name, &self.app.limits) {
            Ok(channel) => channel,
            Err(e) => return self.refuse(name, 400, &format!("invalid channel name: {e}"), out),
        };
        let max = self.app.config.limits.channels_per_connection;
        if self.joined.len() + self.pending.len() >= max {
            return self.refuse(name, 429, &format!("more than {max} channels"), out);
        }
        match channel.kind() {
            ChannelKind::Public => self.join(channel, None, out),
            ChannelKind::ServerToUser => {
                self.refuse(
                    name,
                    403,
                    "server-to-user channels need a Pusher signin",
                    out,
                );
            }
            ChannelKind::Encrypted => {
                // Echo's socket.io connector has no decryption: it would get ciphertext.
                let why = format_args!("{name}: Echo's socket.io connector cannot decrypt it");
                refusals::log(Reason::EncryptedOverSocketIo, self.app.id.as_str(), &why);
                self.refuse(name, 400, "an encrypted channel", out);
            }
            ChannelKind::Private | ChannelKind::Presence => self.ask_app(channel, headers, out),
        }
    }

    /// Starts the auth call for `channel`.
    fn ask_app(
        &mut self,
        channel: ChannelName,
        headers: Vec<(String, String)>,
        out: &mut Vec<Bytes>,
    ) {
        if self.pending.len() >= MAX_PENDING_AUTH {
            let why = format!("more than {MAX_PENDING_AUTH} subscriptions waiting for the app");
            return self.refuse(channel.as_str(), 429, &why, out);
        }
        let req = AuthRequest {
            channel: channel.to_string(),
            presence: channel.kind() == ChannelKind::Presence,
            headers,
            cookie: self.cookie.clone(),
        };
        let Some(target) = self.target.clone() else {
            let e = AuthError::NoAuthHost;
            self.auth
                .log_refusal(self.app.id.as_str(), channel.as_str(), &e);
            return out.push(reply::subscription_error(channel.as_str(), e.status()));
        };
        let (client, limits) = (self.auth.clone(), self.app.limits);
        self.pending.push(channel.clone());
        self.work
            .get_or_insert_with(Box::default)
            .push(Box::pin(async move {
                let answer = client.authorize(&target, &req, &limits).await;
                Done { channel, answer }
            }));
    }

    /// Applies a finished auth call, unless the channel was left (or joined) meanwhile.
    pub(super) fn finish(&mut self, done: Done, out: &mut Vec<Bytes>) {
        let Some(at) = self
            .pending
            .iter()
            .position(|c| c.as_str() == done.channel.as_str())
        else {
            return;
        };
        self.pending.swap_remove(at);
        let channel = done.channel;
        match done.answer {
            Ok(Allowed::Private) => self.join(channel, None, out),
            Ok(Allowed::Member(member)) => {
                let max = self.app.config.limits.user_info_bytes;
                if member
                    .user_info
                    .as_ref()
                    .is_some_and(|i| i.get().len() > max)
                {
                    let why = format!("the app's user_info is larger than {max} bytes");
                    return self.refuse(channel.as_str(), 413, &why, out);
                }
                self.join(channel, Some(member), out);
            }
            Err(e) => {
                self.auth
                    .log_refusal(self.app.id.as_str(), channel.as_str(), &e);
                out.push(reply::subscription_error(channel.as_str(), e.status()));
            }
        }
    }

    /// Puts the socket in `channel`'s registry entry and tells it what it joined.
    fn join(&mut self, channel: ChannelName, member: Option<Member>, out: &mut Vec<Bytes>) {
        let subscribed =
            match self
                .registry
                .subscribe(&self.app, &channel, self.socket_id, &self.outbox, member)
            {
                Ok(subscribed) => subscribed,
                Err(Refusal::PresenceFull(limit)) => {
                    let why = format!("presence channels can have at most {limit} members");
                    return self.refuse(channel.as_str(), 403, &why, out);
                }
            };
        if let Some(members) = &subscribed.members {
            out.push(reply::presence_subscribed(channel.as_str(), members));
        }
        if let Some(Replay::Event(event)) = &subscribed.replay {
            // Without its offset: it is older than what the socket gets from now on.
            out.extend(
                event
                    .encoded::<SocketIoPlain>()
                    .map(|e| e.payload().clone()),
            );
        }
        let since = self.history_bounds().map_or(0, |bounds| {
            self.registry.keep_history(&self.app, &channel, bounds)
        });
        if self.joined.len() == self.joined.capacity() && self.joined.len() < 4 {
            // Sized exactly while small: most sockets join one to three channels, and an idle
            // socket's memory is mostly what it holds.
            self.joined.reserve_exact(1);
        }
        self.joined.push(Joined { channel, since });
    }

    fn refuse(&self, channel: &str, status: u16, why: &str, out: &mut Vec<Bytes>) {
        tracing::debug!(app = %self.app.id, socket = %self.socket_id, channel, status, "Socket.IO subscription refused: {why}");
        self.app.tap.emit(|| Entry::SubscriptionRefused {
            socket: self.socket_id.to_string(),
            channel: channel.to_owned(),
            reason: format!("{status}: {why}"),
        });
        out.push(reply::subscription_error(channel, status));
    }
}
