//! The protocol's error codes. A code is either sent in a `pusher:error` frame, used as a WebSocket
//! close code, or both; [`ErrorCode::message`] is the canonical text, short enough for a close reason.

/// Pusher error and close codes used by Ressò.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 4001: the key in the URL names no app.
    AppNotFound,
    /// 4003: the app exists but is disabled.
    AppDisabled,
    /// 4004: the app has as many connections as it may.
    OverConnectionQuota,
    /// 4005: the WebSocket path is not `/app/{key}`.
    PathNotFound,
    /// 4006: the `protocol` parameter is not a number.
    InvalidVersion,
    /// 4007: the `protocol` parameter is outside 5–7.
    UnsupportedProtocol,
    /// 4009: the connection is not authorized (bad auth, terminated).
    Unauthorized,
    /// 4009: the app terminated the user's connections.
    Terminated,
    /// 4009: the connection subscribed to nothing within the app's `unsubscribed_timeout`.
    NeverSubscribed,
    /// 4100: the server cannot keep up with this connection (its outbound queue is full).
    OverCapacity,
    /// 4200: reconnect now (graceful shutdown).
    ReconnectImmediately,
    /// 4201: a ping went unanswered.
    PongNotReceived,
    /// 4301: client events over the per-connection rate.
    ClientEventRateLimit,
    /// 4302: a watchlist with more than 100 ids.
    WatchlistLimit,
}

impl ErrorCode {
    /// The numeric code on the wire.
    #[must_use]
    pub const fn code(self) -> u16 {
        match self {
            Self::AppNotFound => 4001,
            Self::AppDisabled => 4003,
            Self::OverConnectionQuota => 4004,
            Self::PathNotFound => 4005,
            Self::InvalidVersion => 4006,
            Self::UnsupportedProtocol => 4007,
            Self::Unauthorized | Self::Terminated | Self::NeverSubscribed => 4009,
            Self::OverCapacity => 4100,
            Self::ReconnectImmediately => 4200,
            Self::PongNotReceived => 4201,
            Self::ClientEventRateLimit => 4301,
            Self::WatchlistLimit => 4302,
        }
    }

    /// The canonical message; every one fits a close reason (≤ 123 bytes).
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::AppNotFound => "Application does not exist",
            Self::AppDisabled => "Application disabled",
            Self::OverConnectionQuota => "Application is over connection quota",
            Self::PathNotFound => "Path not found",
            Self::InvalidVersion => "Invalid version string format",
            Self::UnsupportedProtocol => "Unsupported protocol version",
            Self::Unauthorized => "Connection is unauthorized",
            Self::Terminated => "You got disconnected by the app.",
            Self::NeverSubscribed => "Connection closed: it subscribed to no channel in time",
            Self::OverCapacity => "Over capacity",
            Self::ReconnectImmediately => "Server is restarting, reconnect immediately",
            Self::PongNotReceived => "Pong reply not received",
            Self::ClientEventRateLimit => "Client event rejected due to rate limit",
            Self::WatchlistLimit => {
                "Watchlist limit exceeded. Only the first 100 user IDs are accepted."
            }
        }
    }
}

/// The longest reason a WebSocket close frame may carry.
pub const MAX_CLOSE_REASON: usize = 123;

/// Cuts `reason` to at most [`MAX_CLOSE_REASON`] bytes on a character boundary.
#[must_use]
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fit_a_close_frame() {
        assert!(ErrorCode::PongNotReceived.message().len() <= MAX_CLOSE_REASON);
        let long = "é".repeat(100);
        let cut = truncate_reason(&long);
        assert!(cut.len() <= MAX_CLOSE_REASON && cut.chars().all(|c| c == 'é'));
        assert_eq!(truncate_reason("short"), "short");
    }
}
