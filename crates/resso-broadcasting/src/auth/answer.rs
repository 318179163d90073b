//! The bodies `/broadcasting/auth` and `/broadcasting/user-auth` answer with — pure functions of the
//! credentials, the request and the app's decision. Signed (Pusher protocol, §4.4) when the request
//! carries a `socket_id`; unsigned (`true` / `{"channel_data":{…}}`) when a Socket.IO server asks.

use resso_protocol::auth::{channel_string, sign_hex, signin_string};
use resso_protocol::{ChannelName, Limits, SocketId};
use serde_json::{json, Value};

use crate::encrypt::MasterKey;

/// An app's credentials for signing. Take them from the broadcaster's settings
/// ([`Broadcaster::credentials`](crate::Broadcaster::credentials), [`Credentials::from_env`]) so the
/// key and secret are configured once. `Debug` shows the key, never the secret.
#[derive(Clone)]
pub struct Credentials {
    pub key: String,
    pub secret: String,
    /// Needed to answer `private-encrypted-` subscriptions.
    pub master_key: Option<MasterKey>,
}

impl Credentials {
    /// A key and secret, no master key.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
            master_key: None,
        }
    }

    /// The credentials of the Pusher-protocol connection the environment names, read exactly as
    /// [`Broadcaster::from_env`](crate::Broadcaster::from_env) reads them (`BROADCAST_CONNECTION`,
    /// `REVERB_APP_KEY`, `REVERB_APP_SECRET`, …).
    ///
    /// # Errors
    /// A missing or bad setting, or a connection (`redis`, `log`, `null`) that has no credentials.
    pub fn from_env() -> Result<Self, crate::ConfigError> {
        crate::DriverConfig::from_env()?.credentials()
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("secret", &"…")
            .field("master_key", &self.master_key)
            .finish()
    }
}

/// What a channel callback decided.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// Subscribe to a private channel (presence channels need [`Decision::Member`]).
    Allow,
    /// 403.
    Deny,
    /// A presence member: `user_id` and the `user_info` others see.
    Member { user_id: String, user_info: Value },
}

impl Decision {
    /// A presence member.
    pub fn member(user_id: impl std::fmt::Display, user_info: Value) -> Self {
        Self::Member {
            user_id: user_id.to_string(),
            user_info,
        }
    }

    /// `Allow` when `ok`, else `Deny` — for the common `user.id == order.owner` check.
    #[must_use]
    pub const fn allow_if(ok: bool) -> Self {
        if ok {
            Self::Allow
        } else {
            Self::Deny
        }
    }
}

/// Why a request cannot be answered (mapped to a status by the router).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    #[error("access denied")]
    Denied,
    #[error("invalid socket_id")]
    BadSocketId,
    #[error("invalid channel_name")]
    BadChannel,
    #[error("the channel is not a private or presence channel")]
    NotGuarded,
    #[error("a presence channel callback must answer Decision::Member, not Allow")]
    PresenceNeedsMember,
    #[error("no encryption master key is configured for private-encrypted channels")]
    NoMasterKey,
    #[error(
        "no app key and secret to sign with: the broadcast driver is not a Pusher-protocol one"
    )]
    NoCredentials,
}

/// The answer for a channel subscription.
///
/// # Errors
/// [`AnswerError`] for a denied, malformed or unanswerable request.
pub fn channel_answer(
    creds: &Credentials,
    socket_id: Option<&str>,
    channel: &str,
    decision: Decision,
) -> Result<Value, AnswerError> {
    let Some(socket_id) = socket_id else {
        return unsigned_channel_answer(channel, decision);
    };
    let (name, member) = decide(channel, decision)?;
    let socket = SocketId::parse(socket_id).map_err(|_| AnswerError::BadSocketId)?;
    let channel_data = member.map(|m| m.to_string());
    let signed = channel_string(socket, &name, channel_data.as_deref());
    let mut answer = json!({ "auth": auth(creds, &signed) });
    if let Some(data) = channel_data {
        answer["channel_data"] = Value::String(data);
    }
    if channel.starts_with("private-encrypted-") {
        let key = creds.master_key.as_ref().ok_or(AnswerError::NoMasterKey)?;
        answer["shared_secret"] = Value::String(key.shared_secret_base64(channel));
    }
    Ok(answer)
}

/// The unsigned answer a Socket.IO server (laravel-echo-server, Ressò's Socket.IO endpoint) asks
/// for: `true`, or `{"channel_data":{…}}` for a presence member. Needs no credentials.
///
/// # Errors
/// [`AnswerError`] for a denied or malformed request.
pub fn unsigned_channel_answer(channel: &str, decision: Decision) -> Result<Value, AnswerError> {
    let (_, member) = decide(channel, decision)?;
    Ok(match member {
        Some(data) => json!({ "channel_data": data }),
        None => Value::Bool(true),
    })
}

/// Checks the channel and the decision; the presence member's data when there is one.
fn decide(channel: &str, decision: Decision) -> Result<(ChannelName, Option<Value>), AnswerError> {
    let name =
        ChannelName::parse(channel, &Limits::default()).map_err(|_| AnswerError::BadChannel)?;
    let presence = channel.starts_with("presence-");
    if !presence && !channel.starts_with("private-") {
        return Err(AnswerError::NotGuarded);
    }
    let member = match decision {
        Decision::Deny => return Err(AnswerError::Denied),
        Decision::Allow if presence => return Err(AnswerError::PresenceNeedsMember),
        Decision::Allow => None,
        Decision::Member { user_id, user_info } => {
            presence.then(|| json!({ "user_id": user_id, "user_info": user_info }))
        }
    };
    Ok((name, member))
}

/// The answer for a user signin: `user_data` must be an object with an `id`.
///
/// # Errors
/// [`AnswerError::BadSocketId`] for a bad socket id.
pub fn user_answer(
    creds: &Credentials,
    socket_id: &str,
    user_data: &Value,
) -> Result<Value, AnswerError> {
    let socket = SocketId::parse(socket_id).map_err(|_| AnswerError::BadSocketId)?;
    let mut user_data = user_data.clone();
    // pusher-js refuses a numeric id; Laravel apps often have one.
    if let Some(id) = user_data.get_mut("id").filter(|id| id.is_number()) {
        *id = Value::String(id.to_string());
    }
    let data = user_data.to_string();
    let signed = signin_string(socket, &data);
    Ok(json!({ "auth": auth(creds, &signed), "user_data": data }))
}

fn auth(creds: &Credentials, signed: &str) -> String {
    format!(
        "{}:{}",
        creds.key,
        sign_hex(&creds.secret, signed.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            key: "app-key".into(),
            secret: "app-secret".into(),
            master_key: Some(
                MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap(),
            ),
        }
    }

    #[test]
    fn signed_answers_match_the_vectors() {
        let c = creds();
        let s = Some("123.456");
        assert_eq!(
            channel_answer(&c, s, "private-orders.1", Decision::Allow).unwrap(),
            json!({"auth":"app-key:d5ddd577b56ebc9ed89f55ec4e3aa51f5f2b5691714eda41028fb9e7ab2b7283"})
        );
        let member = Decision::member("1", json!({"name":"Alice"}));
        assert_eq!(
            channel_answer(&c, s, "presence-chat.1", member).unwrap(),
            json!({
                "auth":"app-key:92c443c78fb3fd0c97b4da5bdcbc9bcd9135e4ed51ee895f0de2ba9ce140abfc",
                "channel_data":"{\"user_id\":\"1\",\"user_info\":{\"name\":\"Alice\"}}"
            })
        );
        assert_eq!(
            channel_answer(&c, s, "private-encrypted-doc", Decision::Allow).unwrap(),
            json!({
                "auth":"app-key:0e906d38d445c544b1ee44698ee8acc988556e75cc5a2a063b43acb05248d560",
                "shared_secret":"m7Hr8bKBiNWJYxRcg7AYXyDUT88eo/k8hvW+d11VUuE="
            })
        );
        assert_eq!(
            user_answer(&c, "123.456", &json!({"id":"1","name":"Alice"})).unwrap(),
            json!({
                "auth":"app-key:87b6acf879c38f9fb807474a202239803ca10b12e84505ddaf0d257044fe04a9",
                "user_data":"{\"id\":\"1\",\"name\":\"Alice\"}"
            })
        );
    }

    #[test]
    fn unsigned_answers_for_socket_io() {
        let c = creds();
        assert_eq!(
            channel_answer(&c, None, "private-orders.1", Decision::Allow).unwrap(),
            json!(true)
        );
        let member = Decision::member(42, json!({"name":"Bob"}));
        assert_eq!(
            channel_answer(&c, None, "presence-chat.1", member).unwrap(),
            json!({"channel_data":{"user_id":"42","user_info":{"name":"Bob"}}})
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let text = format!("{:?}", creds());
        assert!(text.contains("app-key"), "{text}");
        assert!(!text.contains("app-secret"), "{text}");
        assert!(!text.contains("AAECAwQF"), "{text}");
    }

    #[test]
    fn refusals() {
        let c = creds();
        let s = Some("123.456");
        let deny = |ch: &str, s| channel_answer(&c, s, ch, Decision::Deny).unwrap_err();
        assert_eq!(deny("private-orders.1", s), AnswerError::Denied);
        let allow = |ch: &str, s| channel_answer(&c, s, ch, Decision::Allow).unwrap_err();
        assert_eq!(
            allow("private-orders.1", Some("1.x")),
            AnswerError::BadSocketId
        );
        assert_eq!(allow("orders.1", s), AnswerError::NotGuarded);
        assert_eq!(
            allow("presence-chat.1", s),
            AnswerError::PresenceNeedsMember
        );
        assert_eq!(allow("private-a b", s), AnswerError::BadChannel);
        let no_key = Credentials {
            master_key: None,
            ..creds()
        };
        assert_eq!(
            channel_answer(&no_key, s, "private-encrypted-doc", Decision::Allow).unwrap_err(),
            AnswerError::NoMasterKey
        );
    }
}
