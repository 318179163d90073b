//! The Pusher codec: every Pusher frame the server sends is encoded here, from typed values — a
//! session's [`Reply`], a [`Broadcast`]'s [`Kind`] — with the JSON forms of
//! [`resso_protocol::server`]. Each refusal maps, exhaustively, to the code and wording Pusher
//! clients know. A cached event is replayed as the frame every subscriber already got. The
//! [`Protocol`] impl binds a [`Session`] to the connection task: greeting, ping, goodbye.

use bytes::Bytes;
use resso_protocol::server::{self, EventData};
use resso_protocol::{ChannelKind, ChannelName, ErrorCode, UserId};
use tokio::time::Instant;

use crate::broadcast::{Broadcast, Codec, Encoded, Kind, Payload};
use crate::client_event::ClientEventError;
use crate::connection::{Deadline, Heartbeat, Protocol};
use crate::metrics::{self, AppMeters};
use crate::registry::{Replay, Subscribed, Watchlist};
use crate::session::{Refused, Reply, Session, SignedIn, SubscribeError};
use crate::tap::{Entry, Via};
use crate::ws::frame;

/// The Pusher codec of broadcasts.
pub struct Pusher;

impl Codec for Pusher {
    const SLOT: usize = 0;

    /// Pusher clients have no offsets.
    fn encode(kind: &Kind, _offset: Option<u64>) -> Option<Encoded> {
        Some(Encoded::new(&broadcast(kind)))
    }
}

/// A broadcast's Pusher frame (every broadcast has one).
fn frame_of(msg: &Broadcast) -> &Bytes {
    msg.encoded::<Pusher>().map_or(&EMPTY, Encoded::frame)
}

static EMPTY: Bytes = Bytes::new();

impl Protocol for Session {
    fn greeting(&self, heartbeat: Heartbeat) -> Bytes {
        let secs = heartbeat.activity().as_secs();
        frame::text(&server::connection_established(self.socket_id(), secs))
    }

    fn on_text(&mut self, text: &str, out: &mut Vec<Bytes>) {
        if let Some(answer) = self.handle_text(text) {
            reply(answer, out);
        }
    }

    fn deadline(&self, opened: Instant) -> Option<Deadline> {
        Self::deadline(self, opened)
    }

    fn frame(msg: &Broadcast) -> Option<&Bytes> {
        Some(frame_of(msg))
    }

    fn ping() -> Bytes {
        frame::text(server::PING)
    }

    fn goodbye(code: ErrorCode, message: &str) -> Option<Bytes> {
        Some(frame::text(&server::error(Some(code.code()), message)))
    }

    fn meters(&self) -> &AppMeters {
        &self.app().meters
    }

    fn closed(&self, code: u16) {
        self.app().tap.emit(|| Entry::Disconnected {
            socket: self.socket_id().to_string(),
            via: Via::Pusher,
            code,
        });
    }

    const METERED_AS: metrics::Protocol = metrics::Protocol::Pusher;
}

/// Appends the frames answering one client message to `out`.
pub fn reply(reply: Reply, out: &mut Vec<Bytes>) {
    match reply {
        Reply::Pong => out.push(frame::text(server::PONG)),
        Reply::Subscribed(channel, subscribed) => self::subscribed(&channel, subscribed, out),
        Reply::SubscribeRefused { channel, error } => {
            out.push(frame::text(&subscription_error(&channel, &error)));
        }
        Reply::SignedIn(signed) => signed_in(signed, out),
        Reply::Refused(refused) => out.push(frame::text(&self::refused(&refused))),
    }
}

/// `subscription_succeeded` (with the member list on presence channels), then the cached event or
/// `pusher:cache_miss` on cache channels.
pub fn subscribed(channel: &ChannelName, subscribed: Subscribed, out: &mut Vec<Bytes>) {
    let name = channel.as_str();
    let confirm = match (&subscribed.members, channel.kind()) {
        (Some(members), ChannelKind::Presence) => server::presence_succeeded(
            name,
            members.iter().map(|m| (&m.user_id, m.user_info.as_deref())),
        ),
        _ => server::subscription_succeeded(name),
    };
    out.push(frame::text(&confirm));
    match subscribed.replay {
        Some(Replay::Event(msg)) => out.push(frame_of(&msg).clone()),
        Some(Replay::Miss) => out.push(frame::text(&server::cache_miss(name))),
        None => {}
    }
}

fn signed_in(signed: SignedIn, out: &mut Vec<Bytes>) {
    out.push(frame::text(&server::signin_success(&signed.user_data)));
    if signed.watchlist_truncated {
        out.push(frame::text(&error(ErrorCode::WatchlistLimit)));
    }
    if let Some(watchlist) = &signed.watchlist {
        out.push(frame::text(&watchlist_events(watchlist)));
    }
}

/// `pusher:subscription_error` with the type and status Pusher clients expect.
fn subscription_error(channel: &str, error: &SubscribeError) -> String {
    let (kind, status) = match error {
        SubscribeError::InvalidName(_) => ("InvalidChannel", 400),
        SubscribeError::Unauthorized(_) => ("AuthError", 401),
        SubscribeError::BadChannelData(_) => ("AuthError", 400),
        SubscribeError::NotSignedIn | SubscribeError::OtherUser => ("AuthError", 403),
        SubscribeError::UserInfoTooLarge(_) => ("LimitReached", 4301),
        SubscribeError::PresenceFull(_) | SubscribeError::TooManyChannels(_) => {
            ("LimitReached", 4100)
        }
    };
    server::subscription_error(channel, kind, &error.to_string(), status)
}

/// `pusher:error` for a refused frame: a close code where the protocol names one, `null` otherwise.
fn refused(refused: &Refused) -> String {
    let code = match refused {
        Refused::Malformed(_) => None,
        Refused::ClientEvent(e) => match e {
            ClientEventError::RateLimited => return error(ErrorCode::ClientEventRateLimit),
            ClientEventError::Disabled
            | ClientEventError::NotSubscribed(_)
            | ClientEventError::WrongChannel
            | ClientEventError::NameTooLong(_)
            | ClientEventError::DataTooLarge(_) => None,
        },
        Refused::Signin(_) => Some(ErrorCode::Unauthorized.code()),
    };
    server::error(code, &refused.to_string())
}

/// `pusher:error` with `code` and its canonical message.
#[must_use]
pub fn error(code: ErrorCode) -> String {
    server::error(Some(code.code()), code.message())
}

fn watchlist_events(watchlist: &Watchlist) -> String {
    let online: Vec<&UserId> = watchlist.online.iter().collect();
    let offline: Vec<&UserId> = watchlist.offline.iter().collect();
    server::watchlist_events(&online, &offline)
}

/// A broadcast's Pusher message.
fn broadcast(kind: &Kind) -> String {
    match kind {
        Kind::Event {
            channel,
            event,
            payload,
            user_id,
        } => {
            let data = match payload {
                Payload::Text(t) => EventData::Text(t),
                Payload::Json(j) => EventData::Json(j),
                Payload::Empty => EventData::None,
            };
            let user_id = user_id.as_ref().map(UserId::as_str);
            server::channel_event(event, channel.as_str(), data, user_id)
        }
        Kind::MemberAdded {
            channel,
            user_id,
            user_info,
        } => server::member_added(channel.as_str(), user_id, user_info.as_deref()),
        Kind::MemberRemoved {
            channel, user_id, ..
        } => server::member_removed(channel.as_str(), user_id),
        Kind::Watchlist {
            online: true,
            user_id,
        } => server::watchlist_events(&[user_id], &[]),
        Kind::Watchlist {
            online: false,
            user_id,
        } => server::watchlist_events(&[], &[user_id]),
        Kind::SubscriptionCount { channel, count } => {
            server::subscription_count(channel.as_str(), *count)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use resso_protocol::{ChannelName, Limits};

    use super::*;

    #[test]
    fn a_cached_event_is_replayed_as_the_frame_subscribers_got() {
        let channel = ChannelName::parse("cache-prices", &Limits::default()).unwrap();
        let msg = Arc::new(Broadcast::event(
            channel.clone(),
            "price".into(),
            Payload::Text(r#"{"p":2}"#.into()),
            None,
        ));
        let delivered = frame_of(&msg).clone();
        let mut out = Vec::new();
        let replay = Some(Replay::Event(msg));
        subscribed(
            &channel,
            Subscribed {
                members: None,
                replay,
            },
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1].as_ptr(),
            delivered.as_ptr(),
            "the same bytes, not re-framed"
        );
    }

    #[test]
    fn member_removed_carries_no_user_info() {
        let channel = ChannelName::parse("presence-room", &Limits::default()).unwrap();
        let info = serde_json::value::RawValue::from_string(r#"{"name":"Bob"}"#.into()).unwrap();
        let left = Broadcast::member_removed(channel, UserId::from("2"), Some(info));
        let text = left.encoded::<Pusher>().unwrap().text();
        assert!(!text.contains("Bob"), "{text}");
    }
}
