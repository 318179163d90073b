//! One warning per refusal an operator would otherwise debug blind — an unknown key, an origin
//! refused, a disabled app, a connection limit hit, a bad signature on a subscription or an API
//! call, a failed call to the app's auth endpoint — with the app and the reason, at the default
//! log level. Rate-limited per reason: at most one line every [`EVERY`], which says how many
//! refusals of that reason it stands for, so a flood of bad clients cannot flood the log.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The shortest time between two lines of one reason.
const EVERY: Duration = Duration::from_secs(10);

/// What was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A connection for an app key no app has (4001).
    UnknownKey,
    /// A connection from an origin the app does not allow.
    OriginRefused,
    /// A connection or call for a disabled app.
    AppDisabled,
    /// A connection past the app's connection limit (4004).
    OverQuota,
    /// A private or presence subscription with a wrong signature.
    BadSubscriptionSignature,
    /// An HTTP API call with a wrong or missing signature.
    BadApiSignature,
    /// The app's auth endpoint failed or refused a Socket.IO channel.
    AuthEndpoint,
    /// A Socket.IO client asked for an encrypted channel, which it could not read.
    EncryptedOverSocketIo,
    /// A Socket.IO request on a path no app serves.
    NoSocketIoApp,
}

impl Reason {
    const COUNT: usize = 9;

    const fn text(self) -> &'static str {
        match self {
            Self::UnknownKey => "connection refused: unknown app key",
            Self::OriginRefused => "connection refused: origin not allowed",
            Self::AppDisabled => "refused: the app is disabled",
            Self::OverQuota => "connection refused: the app is at its connection limit",
            Self::BadSubscriptionSignature => "subscription refused: bad signature",
            Self::BadApiSignature => "HTTP API call refused: bad signature",
            Self::AuthEndpoint => "Socket.IO channel refused by the app's auth endpoint",
            Self::EncryptedOverSocketIo => "Socket.IO subscription refused: an encrypted channel",
            Self::NoSocketIoApp => {
                "Socket.IO request refused: no app serves this path (set [apps.socketio] path)"
            }
        }
    }
}

/// Per reason: when its last line was written, and how many refusals came since.
static SEEN: Mutex<[(Option<Instant>, u64); Reason::COUNT]> =
    Mutex::new([(None, 0); Reason::COUNT]);

/// Logs a refusal of `app` (an id or key) for `reason`, with `detail`, unless one of that reason
/// was logged within [`EVERY`].
pub fn log(reason: Reason, app: &str, detail: &dyn std::fmt::Display) {
    let Some(count) = due(reason, Instant::now()) else {
        return;
    };
    tracing::warn!(app, refusals = count, "{}: {detail}", reason.text());
}

/// Whether a line for `reason` is due at `now`, and how many refusals it stands for.
fn due(reason: Reason, now: Instant) -> Option<u64> {
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let (last, count) = &mut seen[reason as usize];
    *count += 1;
    if last.is_some_and(|at| now.duration_since(at) < EVERY) {
        return None;
    }
    *last = Some(now);
    Some(std::mem::take(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_reason_per_window_counting_the_rest() {
        let start = Instant::now();
        assert_eq!(due(Reason::OverQuota, start), Some(1));
        assert_eq!(due(Reason::OverQuota, start + Duration::from_secs(1)), None);
        assert_eq!(due(Reason::OverQuota, start + Duration::from_secs(2)), None);
        assert_eq!(
            due(Reason::AppDisabled, start + Duration::from_secs(2)),
            Some(1),
            "reasons are limited apart"
        );
        assert_eq!(due(Reason::OverQuota, start + EVERY), Some(3));
    }
}
