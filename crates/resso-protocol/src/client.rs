//! Frames a client sends (§2), parsed once at the edge into [`ClientMessage`]. Past this module no code
//! looks at event names as strings.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A frame from a client.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// `pusher:ping`.
    Ping,
    /// `pusher:pong`.
    Pong,
    /// `pusher:subscribe`.
    Subscribe(Subscribe),
    /// `pusher:unsubscribe`.
    Unsubscribe { channel: String },
    /// `pusher:signin`.
    Signin(Signin),
    /// `client-*` on a channel.
    ClientEvent(ClientEvent),
}

/// `pusher:subscribe` data; `channel_data` is the exact string the auth endpoint signed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subscribe {
    pub channel: String,
    #[serde(default)]
    pub auth: Option<String>,
    #[serde(default)]
    pub channel_data: Option<String>,
}

/// `pusher:signin` data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Signin {
    pub auth: String,
    pub user_data: String,
}

/// A `client-*` event; `data` is kept exactly as sent (object stays object).
#[derive(Debug, Clone)]
pub struct ClientEvent {
    pub event: String,
    pub channel: String,
    pub data: Option<Box<RawValue>>,
}

impl PartialEq for ClientEvent {
    fn eq(&self, other: &Self) -> bool {
        self.event == other.event
            && self.channel == other.channel
            && self.data.as_ref().map(|d| d.get()) == other.data.as_ref().map(|d| d.get())
    }
}

/// Why a frame could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("Invalid JSON: frames must be objects with a string `event`")]
    InvalidJson,
    #[error("Unknown event: {0}")]
    UnknownEvent(String),
    #[error("Invalid data for {0}")]
    BadData(&'static str),
    #[error("Client events need a channel")]
    MissingChannel,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: std::borrow::Cow<'a, str>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

impl ClientMessage {
    /// Parses one text frame.
    ///
    /// # Errors
    /// A [`ParseError`] saying why the frame is not a message a client may send.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let env: Envelope<'_> = serde_json::from_str(text).map_err(|_| ParseError::InvalidJson)?;
        match env.event.as_ref() {
            "pusher:ping" => Ok(Self::Ping),
            "pusher:pong" => Ok(Self::Pong),
            "pusher:subscribe" => object_data(env.data, "pusher:subscribe").map(Self::Subscribe),
            "pusher:unsubscribe" => {
                let Subscribe { channel, .. } = object_data(env.data, "pusher:unsubscribe")?;
                Ok(Self::Unsubscribe { channel })
            }
            "pusher:signin" => object_data(env.data, "pusher:signin").map(Self::Signin),
            name if name.starts_with("client-") => {
                let channel = env.channel.ok_or(ParseError::MissingChannel)?;
                let data = env.data.map(ToOwned::to_owned);
                Ok(Self::ClientEvent(ClientEvent {
                    event: name.to_owned(),
                    channel,
                    data,
                }))
            }
            other => Err(ParseError::UnknownEvent(other.to_owned())),
        }
    }
}

/// Reads `data` given as an object or as a JSON string holding one (Reverb accepts both).
fn object_data<T: DeserializeOwned>(
    data: Option<&RawValue>,
    event: &'static str,
) -> Result<T, ParseError> {
    let raw = data.ok_or(ParseError::BadData(event))?.get();
    let bad = |_| ParseError::BadData(event);
    if raw.starts_with('"') {
        let inner: String = serde_json::from_str(raw).map_err(bad)?;
        serde_json::from_str(&inner).map_err(bad)
    } else {
        serde_json::from_str(raw).map_err(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_pusher_js_sends() {
        assert_eq!(
            ClientMessage::parse(r#"{"event":"pusher:ping","data":{}}"#),
            Ok(ClientMessage::Ping)
        );
        let sub = ClientMessage::parse(
            r#"{"event":"pusher:subscribe","data":{"auth":"k:s","channel_data":"{\"user_id\":\"1\"}","channel":"presence-a"}}"#,
        );
        let expected = Subscribe {
            channel: "presence-a".into(),
            auth: Some("k:s".into()),
            channel_data: Some(r#"{"user_id":"1"}"#.into()),
        };
        assert_eq!(sub, Ok(ClientMessage::Subscribe(expected)));
        let unsub =
            ClientMessage::parse(r#"{"event":"pusher:unsubscribe","data":"{\"channel\":\"a\"}"}"#);
        assert_eq!(
            unsub,
            Ok(ClientMessage::Unsubscribe {
                channel: "a".into()
            })
        );
    }

    #[test]
    fn client_events_keep_data_verbatim() {
        let Ok(ClientMessage::ClientEvent(ev)) = ClientMessage::parse(
            r#"{"event":"client-typing","data":{"user":"a\/b"},"channel":"private-c"}"#,
        ) else {
            panic!("not a client event");
        };
        assert_eq!(
            (ev.event.as_str(), ev.channel.as_str()),
            ("client-typing", "private-c")
        );
        assert_eq!(ev.data.unwrap().get(), r#"{"user":"a\/b"}"#);
    }

    #[test]
    fn rejects_bad_frames() {
        assert_eq!(ClientMessage::parse("nope"), Err(ParseError::InvalidJson));
        assert_eq!(
            ClientMessage::parse(r#"{"data":{}}"#),
            Err(ParseError::InvalidJson)
        );
        assert_eq!(ClientMessage::parse(r#"[1]"#), Err(ParseError::InvalidJson));
        let forged = ClientMessage::parse(r#"{"event":"pusher_internal:member_added","data":{}}"#);
        assert_eq!(
            forged,
            Err(ParseError::UnknownEvent(
                "pusher_internal:member_added".into()
            ))
        );
        assert_eq!(
            ClientMessage::parse(r#"{"event":"pusher:subscribe","data":5}"#),
            Err(ParseError::BadData("pusher:subscribe"))
        );
        assert_eq!(
            ClientMessage::parse(r#"{"event":"pusher:subscribe"}"#),
            Err(ParseError::BadData("pusher:subscribe"))
        );
        assert_eq!(
            ClientMessage::parse(r#"{"event":"client-x","data":{}}"#),
            Err(ParseError::MissingChannel)
        );
    }
}
