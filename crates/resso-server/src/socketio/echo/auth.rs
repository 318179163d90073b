//! Channel auth by calling the app, as laravel-echo-server does: Socket.IO clients carry no
//! signature, so for a private or presence subscription the server POSTs `channel_name=<name>` to
//! the app's auth URL with the browser's credentials (the subscribe payload's `auth.headers`, the
//! handshake `Cookie`, `X-Requested-With: XMLHttpRequest`) and reads Laravel's answer. Every way
//! that can fail is a typed [`AuthError`], so the caller refuses that one subscription and logs why;
//! none of it blocks the socket (the call is a future the handler polls beside its other work).

use std::time::Duration;

use resso_protocol::presence::{Member, PresenceError};
use resso_protocol::Limits;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::target::AuthTarget;
use crate::refusals::{self, Reason};

/// Largest auth answer read; Laravel's are a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One subscription to authorize.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub channel: String,
    /// Whether the answer must name a presence member.
    pub presence: bool,
    /// The subscribe payload's `auth.headers`, as sent.
    pub headers: Vec<(String, String)>,
    /// The handshake's `Cookie` header.
    pub cookie: Option<String>,
}

/// What the app allowed.
#[derive(Debug, Clone)]
pub enum Allowed {
    /// A private (or encrypted) channel.
    Private,
    /// A presence channel, as this member.
    Member(Member),
}

/// Why the app's answer refuses the subscription.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the app has no socketio.auth_host to ask")]
    NoAuthHost,
    #[error("the app refused with HTTP {0}")]
    Refused(u16),
    #[error("the app did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the app is unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("the app's answer is malformed: {0}")]
    Malformed(#[from] Malformed),
}

/// What was wrong with a 2xx answer to a presence subscription.
#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    #[error("it is longer than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("it is not a JSON object with channel_data")]
    NoChannelData,
    #[error("its channel_data is unusable: {0}")]
    ChannelData(#[from] PresenceError),
}

impl AuthError {
    /// The status for `subscription_error`: the app's own, or the gateway status a proxy would use.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::Refused(status) => *status,
            Self::NoAuthHost => 403,
            Self::Timeout(_) => 504,
            Self::Unreachable(_) | Self::Malformed(_) => 502,
        }
    }
}

/// The HTTP client for auth calls: one per server, shared (one connection pool), cheap to clone.
#[derive(Clone)]
pub struct AuthClient {
    http: reqwest::Client,
}

impl Default for AuthClient {
    fn default() -> Self {
        // Redirects would send the browser's cookies somewhere the config does not name.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { http }
    }
}

impl AuthClient {
    /// Asks the app at `target` whether `req` may subscribe.
    ///
    /// # Errors
    /// An [`AuthError`] saying why not.
    pub async fn authorize(
        &self,
        target: &AuthTarget,
        req: &AuthRequest,
        limits: &Limits,
    ) -> Result<Allowed, AuthError> {
        let call = self.call(target, req);
        let answer = match tokio::time::timeout(target.timeout, call).await {
            Ok(answer) => answer?,
            Err(_) => return Err(AuthError::Timeout(target.timeout)),
        };
        if !req.presence {
            return Ok(Allowed::Private);
        }
        Ok(Allowed::Member(member(&answer, limits)?))
    }

    /// Sends the request and reads a 2xx body (bounded).
    async fn call(&self, target: &AuthTarget, req: &AuthRequest) -> Result<Vec<u8>, AuthError> {
        let mut builder = self
            .http
            .post(&target.url)
            .form(&[("channel_name", req.channel.as_str())])
            .header("x-requested-with", "XMLHttpRequest");
        for (name, value) in req.headers.iter().filter(|(n, _)| forwardable(n)) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(cookie) = &req.cookie {
            builder = builder.header("cookie", cookie.as_str());
        }
        let mut response = builder.send().await.map_err(AuthError::Unreachable)?;
        if !response.status().is_success() {
            return Err(AuthError::Refused(response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(AuthError::Unreachable)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Malformed::TooLarge.into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Logs why a subscription was refused (rate-limited, as every refusal: [`crate::refusals`]).
    pub fn log_refusal(&self, app: &str, channel: &str, error: &AuthError) {
        let why = format_args!("{channel}: {error} (status {})", error.status());
        refusals::log(Reason::AuthEndpoint, app, &why);
    }
}

/// Whether a header from the client's `auth.headers` may be forwarded: not the ones that describe
/// our own request (its host, body and connection) and not a cookie the handshake did not carry.
fn forwardable(name: &str) -> bool {
    const OURS: [&str; 12] = [
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "expect",
        "cookie",
        "x-requested-with",
    ];
    let name = name.to_ascii_lowercase();
    !OURS.contains(&name.as_str()) && !name.starts_with("proxy-")
}

/// Laravel's presence answer: `{"channel_data":{"user_id":…,"user_info":…}}`, where
/// `channel_data` may also be that object as a JSON string (Pusher-style answers).
fn member(body: &[u8], limits: &Limits) -> Result<Member, Malformed> {
    #[derive(Deserialize)]
    struct Answer<'a> {
        #[serde(borrow)]
        channel_data: &'a RawValue,
    }
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|_| Malformed::NoChannelData)?;
    let raw = answer.channel_data.get();
    let text = match serde_json::from_str::<String>(raw) {
        Ok(inner) => inner,
        Err(_) => raw.to_owned(),
    };
    Ok(Member::parse(Some(&text), limits)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_object_and_string_channel_data() {
        let limits = Limits::default();
        let m = member(
            br#"{"channel_data":{"user_id":7,"user_info":{"n":"A"}}}"#,
            &limits,
        )
        .unwrap();
        assert_eq!(
            (m.user_id.as_str(), m.user_info.unwrap().get()),
            ("7", r#"{"n":"A"}"#)
        );
        let m = member(br#"{"channel_data":"{\"user_id\":\"u1\"}"}"#, &limits).unwrap();
        assert_eq!(m.user_id.as_str(), "u1");
        assert!(matches!(
            member(b"true", &limits),
            Err(Malformed::NoChannelData)
        ));
        assert!(matches!(
            member(b"{}", &limits),
            Err(Malformed::NoChannelData)
        ));
        assert!(matches!(
            member(br#"{"channel_data":{"user_info":1}}"#, &limits),
            Err(Malformed::ChannelData(PresenceError::BadUserId))
        ));
    }

    #[test]
    fn never_forwards_our_own_headers() {
        for bad in [
            "Host",
            "content-length",
            "Cookie",
            "Proxy-Authorization",
            "Connection",
        ] {
            assert!(!forwardable(bad), "{bad}");
        }
        for good in ["Authorization", "X-CSRF-TOKEN", "x-socket-id"] {
            assert!(forwardable(good), "{good}");
        }
    }
}
