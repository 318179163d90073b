//! What a session answers, as types: one [`Reply`] per client message at most, with every refusal a
//! small error enum. [`crate::pusher`] encodes them (and maps each refusal, exhaustively, to its
//! Pusher code), so the session decides and never formats a frame.

use resso_protocol::auth::AuthError;
use resso_protocol::client::ParseError;
use resso_protocol::names::NameError;
use resso_protocol::presence::PresenceError;
use resso_protocol::user::UserError;
use resso_protocol::ChannelName;

use crate::registry::{Subscribed, Watchlist};

/// The answer to one client message.
#[derive(Debug)]
pub enum Reply {
    /// The client pinged.
    Pong,
    /// The subscription holds: what to tell the subscriber.
    Subscribed(ChannelName, Subscribed),
    /// The subscription to `channel` (as the client named it) was refused.
    SubscribeRefused {
        channel: String,
        error: SubscribeError,
    },
    /// The signin holds.
    SignedIn(SignedIn),
    /// A frame refused as a whole: the connection stays open.
    Refused(Refused),
}

/// A successful `pusher:signin`.
#[derive(Debug)]
pub struct SignedIn {
    /// The signed `user_data`, echoed back.
    pub user_data: String,
    /// The watchlist was longer than the protocol allows and was cut.
    pub watchlist_truncated: bool,
    /// The watched users' status, when the user watches anyone.
    pub watchlist: Option<Watchlist>,
}

/// Why a subscription was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("Invalid channel name: {0}")]
    InvalidName(NameError),
    #[error("The connection is unauthorized: {0}")]
    Unauthorized(AuthError),
    #[error("Invalid channel_data: {0}")]
    BadChannelData(PresenceError),
    #[error("user_info is larger than {0} bytes")]
    UserInfoTooLarge(usize),
    #[error("Server-to-user channels need a signed-in connection")]
    NotSignedIn,
    #[error("Server-to-user channels are only for the signed-in user they name")]
    OtherUser,
    #[error("Presence channels can have at most {0} members")]
    PresenceFull(usize),
    #[error("A connection can be subscribed to at most {0} channels")]
    TooManyChannels(usize),
}

/// A frame refused without closing the connection.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Malformed(#[from] ParseError),
    #[error(transparent)]
    ClientEvent(#[from] crate::client_event::ClientEventError),
    #[error(transparent)]
    Signin(#[from] SigninError),
}

/// Why a signin was refused.
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    #[error("Invalid signin: {0}")]
    Unauthorized(AuthError),
    #[error("Invalid signin: {0}")]
    BadUserData(UserError),
    #[error("This connection is already signed in as another user")]
    OtherUser,
}
